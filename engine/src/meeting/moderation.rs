//! What staff change in a meeting besides moving it: the plan while it runs (only what the
//! meeting has not reached), and moderation (rename or remove a participant, hide a word
//! from a cloud, the blocked words).

use std::sync::Arc;

use librekast_storage::{
    ActivityId, ActivityRecord, ActivityState, AttendeeId, FlagRecord, MeetingRecord,
    MeetingStatus, Platform, WriteOp,
};

use super::{Activity, Meeting};
use crate::ErrorCode;
use crate::words::{Blocklist, normalize};

/// One participant as the moderation list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRow {
    pub attendee_id: AttendeeId,
    pub name: String,
    pub platform: Platform,
    pub score: i64,
    pub rank: u32,
}

impl Meeting {
    /// `removed` when a moderator removed this attendee.
    pub(super) fn present(&self, attendee: AttendeeId) -> Result<(), ErrorCode> {
        if self.removed.contains(&attendee) {
            Err(ErrorCode::Removed)
        } else {
            Ok(())
        }
    }

    pub fn is_removed(&self, attendee: AttendeeId) -> bool {
        self.removed.contains(&attendee)
    }

    /// How many leading activities the meeting has reached: they can no longer be edited.
    pub fn reached(&self) -> usize {
        let by_state = self
            .activities
            .iter()
            .rposition(|a| a.state != ActivityState::Pending)
            .map_or(0, |i| i + 1);
        let by_status = match self.status {
            MeetingStatus::Before => 0,
            MeetingStatus::After => self.activities.len(),
            _ => (self.position + 1).min(self.activities.len()),
        };
        by_state.max(by_status)
    }

    /// Takes an edited plan (as stored): the first `reached` activities stay as they are in
    /// memory (with their answers), the others are replaced; settings and flags follow.
    pub fn apply_plan(
        &mut self,
        meeting: MeetingRecord,
        activities: Vec<ActivityRecord>,
        flags: Vec<FlagRecord>,
        reached: usize,
    ) {
        let reached = reached.min(self.activities.len()).min(activities.len());
        self.activities.truncate(reached);
        // Notes stay editable on what the meeting reached (the speaker's own text).
        for (kept, new) in self.activities.iter_mut().zip(&activities) {
            kept.notes = Arc::from(new.notes.as_str());
        }
        self.activities
            .extend(activities.into_iter().skip(reached).map(Activity::new));
        self.position = self.position.min(self.activities.len().saturating_sub(1));
        self.title = meeting.title;
        self.code = meeting.code;
        self.reward_fastest = meeting.reward_fastest;
        self.scoring = meeting.scoring;
        self.auto_start = meeting.auto_start;
        self.streak_bonus = meeting.streak_bonus;
        self.sounds = meeting.sounds;
        self.flag_prefix = meeting.flag_prefix;
        self.flags = flags;
        self.set_streams(meeting.sources, meeting.chat);
        self.set_blocked_words(meeting.blocked_words);
    }

    /// Replaces the blocked words (already validated).
    pub fn set_blocked_words(&mut self, words: Vec<String>) {
        self.blocklist = Arc::new(Blocklist::new(&words));
        self.blocked_words = words;
    }

    /// The change to store for new blocked words.
    pub fn block_words(&mut self, words: Vec<String>) -> WriteOp {
        self.set_blocked_words(words.clone());
        WriteOp::BlockedWords {
            meeting: self.id,
            words,
        }
    }

    /// The name a chat viewer is shown under: theirs, unless it holds a blocked word (a
    /// platform name cannot be refused like a join): then "Twitch viewer 1234".
    pub fn viewer_name(&self, platform: Platform, user_id: &str, name: &str) -> String {
        if !self.is_blocked(name) {
            return name.to_string();
        }
        let tail: Vec<char> = user_id.chars().rev().take(4).collect();
        let tail: String = tail.into_iter().rev().collect();
        let label = match platform {
            Platform::Twitch => "Twitch",
            Platform::Youtube => "YouTube",
            Platform::Room => "Room",
        };
        format!("{label} viewer {tail}")
    }

    /// Whether a name or word holds a blocked word.
    pub fn is_blocked(&self, text: &str) -> bool {
        self.blocklist.blocks(text)
    }

    /// Removes a participant: off every scoreboard, their answers out of every count, and
    /// nothing they send counts any more.
    pub fn remove_attendee(&mut self, id: AttendeeId) -> Result<WriteOp, ErrorCode> {
        if self.removed.contains(&id) {
            return Err(ErrorCode::Removed);
        }
        let Some(gone) = self.attendees.remove(&id) else {
            return Err(ErrorCode::NotFound);
        };
        self.removed.insert(id);
        self.flag_allowance.remove(&id);
        for activity in &mut self.activities {
            activity.forget(id, gone.platform);
        }
        Ok(WriteOp::Remove { attendee: id })
    }

    /// A moderator renames a participant. `Ok(None)`: the same name.
    pub fn moderator_rename(
        &mut self,
        id: AttendeeId,
        name: &str,
    ) -> Result<Option<WriteOp>, ErrorCode> {
        self.present(id)?;
        if !self.attendees.contains_key(&id) {
            return Err(ErrorCode::NotFound);
        }
        if self.is_blocked(name) {
            return Err(ErrorCode::BlockedWord);
        }
        Ok(self.rename(id, name))
    }

    /// Hides `word` from an activity's cloud (or shows it again).
    pub fn hide_word(
        &mut self,
        activity: ActivityId,
        word: &str,
        hide: bool,
    ) -> Result<WriteOp, ErrorCode> {
        let key = normalize(word).map_err(|_| ErrorCode::BadRequest)?.key;
        let a = self
            .activities
            .iter_mut()
            .find(|a| a.id == activity)
            .ok_or(ErrorCode::NotFound)?;
        if hide {
            a.hidden.insert(key);
        } else {
            a.hidden.remove(&key);
        }
        let mut words: Vec<String> = a.hidden.iter().cloned().collect();
        words.sort();
        Ok(WriteOp::HideWords { activity, words })
    }

    /// The words hidden from an activity's cloud.
    pub fn hidden_words(&self, activity: ActivityId) -> Option<Vec<String>> {
        let a = self.activities.iter().find(|a| a.id == activity)?;
        let mut words: Vec<String> = a.hidden.iter().cloned().collect();
        words.sort();
        Some(words)
    }

    /// Every participant (removed ones excepted), in scoreboard order.
    pub fn participants(&self) -> Vec<ParticipantRow> {
        let mut rows: Vec<_> = self.attendees.iter().collect();
        rows.sort_by(|a, b| b.1.score.cmp(&a.1.score).then(a.0.cmp(b.0)));
        rows.into_iter()
            .enumerate()
            .map(|(i, (id, a))| ParticipantRow {
                attendee_id: *id,
                name: a.name.clone(),
                platform: a.platform,
                score: a.score,
                rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
            })
            .collect()
    }
}

impl Activity {
    /// Drops everything an attendee (from `platform`) gave in this activity from its counts.
    fn forget(&mut self, attendee: AttendeeId, platform: Platform) {
        if let Some(i) = self.voted.remove(&attendee)
            && i < self.votes.len()
        {
            let vote = self.votes.remove(i);
            for choice in &vote.choices {
                if let Some(n) = self.counts.get_mut(choice) {
                    *n = n.saturating_sub(1);
                }
                if let Some(n) = self
                    .by_platform
                    .get_mut(&platform)
                    .and_then(|counts| counts.get_mut(choice))
                {
                    *n = n.saturating_sub(1);
                }
            }
            self.voted = self
                .votes
                .iter()
                .enumerate()
                .map(|(i, v)| (v.attendee, i))
                .collect();
        }
        self.forget_ratings(attendee);
        self.posts.forget_upvotes(attendee);
        if let Some(words) = self.words_by.remove(&attendee) {
            for key in words {
                self.cloud.discount(&key);
            }
        }
    }
}
