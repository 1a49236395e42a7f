//! YouTube alerts from the live chat's own messages
//! (<https://developers.google.com/youtube/v3/live/docs/liveChatMessages>, `snippet.type`):
//! new members (`newSponsorEvent`), membership milestones (`memberMilestoneChatEvent`, with
//! the months and the viewer's comment), gifted memberships (`membershipGiftingEvent`),
//! Super Chats (`superChatEvent`) and Super Stickers (`superStickerEvent`). They arrive in
//! the same pages as the chat, so the session raises them where it hands over chat lines
//! (a Super Chat's comment still counts as a chat line).

use google_youtube3::api::LiveChatMessage;
use librekast_engine::{AlertIn, AlertKind};
use librekast_storage::Platform;

/// `amountMicros` in major units (1,750,000 micros = 1.75).
fn major(micros: Option<u64>) -> Option<f64> {
    micros.map(|m| m as f64 / 1_000_000.0)
}

/// The alert a message raises, if it is one of the kinds above.
pub fn alert_of(m: &LiveChatMessage) -> Option<AlertIn> {
    let snippet = m.snippet.as_ref()?;
    let user = m
        .author_details
        .as_ref()
        .and_then(|a| a.display_name.clone())
        .filter(|n| !n.trim().is_empty())
        .or_else(|| snippet.author_channel_id.clone())?;
    let youtube = Some(Platform::Youtube);
    match snippet.type_.as_deref()? {
        "newSponsorEvent" => Some(AlertIn::new(AlertKind::Member, youtube, &user)),
        "memberMilestoneChatEvent" => {
            let details = snippet.member_milestone_chat_details.as_ref();
            Some(AlertIn {
                months: details.and_then(|d| d.member_month),
                text: details
                    .and_then(|d| d.user_comment.clone())
                    .unwrap_or_default(),
                ..AlertIn::new(AlertKind::Member, youtube, &user)
            })
        }
        "membershipGiftingEvent" => {
            let count = snippet
                .membership_gifting_details
                .as_ref()
                .and_then(|d| d.gift_memberships_count)
                .unwrap_or(1);
            Some(AlertIn {
                amount: Some(f64::from(count)),
                ..AlertIn::new(AlertKind::Gift, youtube, &user)
            })
        }
        "superChatEvent" => {
            let details = snippet.super_chat_details.as_ref()?;
            Some(AlertIn {
                amount: major(details.amount_micros),
                currency: details.currency.clone(),
                text: details.user_comment.clone().unwrap_or_default(),
                ..AlertIn::new(AlertKind::Superchat, youtube, &user)
            })
        }
        "superStickerEvent" => {
            let details = snippet.super_sticker_details.as_ref()?;
            Some(AlertIn {
                amount: major(details.amount_micros),
                currency: details.currency.clone(),
                // A sticker has no comment; its description says what was sent.
                text: details
                    .super_sticker_metadata
                    .as_ref()
                    .and_then(|s| s.alt_text.clone())
                    .unwrap_or_default(),
                ..AlertIn::new(AlertKind::Superchat, youtube, &user)
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const FIXTURE: &str = include_str!("../../../tests/fixtures/youtube-api.json");

    fn message(v: Value) -> LiveChatMessage {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_recorded_super_chat() {
        let all: Value = serde_json::from_str(FIXTURE).unwrap();
        let entry = all["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("superChatEvent"))
            })
            .unwrap();
        let item = message(entry["response"]["body"]["items"][0].clone());
        let a = alert_of(&item).unwrap();
        assert_eq!(
            (a.kind, a.platform, a.user.as_str()),
            (
                Some(AlertKind::Superchat),
                Some(Platform::Youtube),
                "Brian Lough"
            )
        );
        assert_eq!(a.amount, Some(2.0));
        assert_eq!(a.currency.as_deref(), Some("EUR"));
        assert_eq!(a.text, "test");
    }

    #[test]
    fn members_gifts_and_stickers() {
        let author = json!({"channelId": "UCm", "displayName": "Mia"});
        let a = alert_of(&message(json!({"id": "1",
            "snippet": {"type": "newSponsorEvent", "authorChannelId": "UCm",
                "newSponsorDetails": {"memberLevelName": "Fans", "isUpgrade": false}},
            "authorDetails": author})))
        .unwrap();
        assert_eq!(
            (a.kind, a.user.as_str(), a.months),
            (Some(AlertKind::Member), "Mia", None)
        );
        let a = alert_of(&message(json!({"id": "2",
            "snippet": {"type": "memberMilestoneChatEvent", "authorChannelId": "UCm",
                "memberMilestoneChatDetails": {"memberMonth": 7, "userComment": "7 months!", "memberLevelName": "Fans"}},
            "authorDetails": author})))
        .unwrap();
        assert_eq!(
            (a.kind, a.months, a.text.as_str()),
            (Some(AlertKind::Member), Some(7), "7 months!")
        );
        let a = alert_of(&message(json!({"id": "3",
            "snippet": {"type": "membershipGiftingEvent", "authorChannelId": "UCg",
                "membershipGiftingDetails": {"giftMembershipsCount": 5, "giftMembershipsLevelName": "Fans"}}})))
        .unwrap();
        assert_eq!(
            (a.kind, a.user.as_str(), a.amount),
            (Some(AlertKind::Gift), "UCg", Some(5.0))
        );
        let a = alert_of(&message(json!({"id": "4",
            "snippet": {"type": "superStickerEvent", "authorChannelId": "UCs",
                "superStickerDetails": {"amountMicros": "1990000", "currency": "USD", "amountDisplayString": "$1.99", "tier": 1,
                    "superStickerMetadata": {"stickerId": "s", "altText": "A waving cat", "language": "en"}}},
            "authorDetails": {"channelId": "UCs", "displayName": "Sam"}})))
        .unwrap();
        assert_eq!(
            (a.kind, a.amount, a.currency.as_deref(), a.text.as_str()),
            (
                Some(AlertKind::Superchat),
                Some(1.99),
                Some("USD"),
                "A waving cat"
            )
        );
        // Chat, and events without what they need, raise nothing.
        for v in [
            json!({"id": "5", "snippet": {"type": "textMessageEvent", "authorChannelId": "UC",
                "textMessageDetails": {"messageText": "hi"}}}),
            json!({"id": "6", "snippet": {"type": "superChatEvent", "authorChannelId": "UC"}}),
            json!({"id": "7", "snippet": {"type": "newSponsorEvent"}}),
        ] {
            assert_eq!(alert_of(&message(v)), None);
        }
    }
}
