#!/usr/bin/env python3
"""Generates the presenter's three sound cues (docs: the contract of issue 15, "Sounds").

    python3 assets/sounds/make.py

writes start.wav, reveal.wav and podium.wav beside this script: mono, 22,050 Hz, 16-bit
PCM, each under 1.5 s (under 70 KB). Everything is synthesised here from sine waves and a
seeded noise generator (Python's standard library only: no samples, no third-party
material), so the output is the same on every machine and the files are CC0 like this
script (see LICENSE).

- start:  a rising two-note chime (E5 then A5), bell-like — an activity opens.
- reveal: a short snare roll that speeds up and swells, then a bright ding — the results.
- podium: a brass-like fanfare arpeggio (C5 E5 G5, then C6 held) — the scoreboard.
"""

import math
import struct
import wave
from pathlib import Path

RATE = 22050
HERE = Path(__file__).resolve().parent


def silence(secs):
    return [0.0] * int(secs * RATE)


def mix(into, sound, at):
    """Adds `sound` into `into` starting at `at` seconds (growing `into` if needed)."""
    start = int(at * RATE)
    end = start + len(sound)
    if end > len(into):
        into.extend([0.0] * (end - len(into)))
    for i, v in enumerate(sound):
        into[start + i] += v


def bell(freq, secs, decay=3.2, amp=1.0):
    """A struck bell: a sine with a few partials (one slightly inharmonic), a 4 ms attack
    and an exponential decay, the high partials dying first."""
    partials = [(1.0, 1.0, 1.0), (2.0, 0.35, 1.8), (3.0, 0.12, 2.6), (4.16, 0.08, 3.5)]
    out = []
    n = int(secs * RATE)
    for i in range(n):
        t = i / RATE
        attack = min(1.0, t / 0.004)
        v = 0.0
        for ratio, level, faster in partials:
            v += level * math.exp(-decay * faster * t) * math.sin(2 * math.pi * freq * ratio * t)
        out.append(amp * attack * v)
    return out


def brass(freq, secs, amp=1.0, release=0.08, decay=0.0):
    """A soft brass-like note: harmonics falling off, a short swell, a gentle vibrato after
    the attack, a slow fade (`decay`) and a release at the end."""
    out = []
    n = int(secs * RATE)
    phase = 0.0
    for i in range(n):
        t = i / RATE
        vib = 1.0 + 0.004 * math.sin(2 * math.pi * 5.5 * t) * min(1.0, t / 0.15)
        phase += 2 * math.pi * freq * vib / RATE
        attack = min(1.0, t / 0.025)
        tail = min(1.0, (secs - t) / release)
        # Brighter at the start of the note, mellower as it holds.
        bright = 0.55 + 0.45 * math.exp(-6 * t)
        v = 0.0
        for h in range(1, 7):
            v += (bright ** (h - 1)) / h * math.sin(h * phase)
        out.append(amp * attack * tail * math.exp(-decay * t) * v)
    return out


class Noise:
    """A 32-bit linear congruential generator: the same noise everywhere."""

    def __init__(self, seed=2026):
        self.state = seed

    def next(self):
        self.state = (1664525 * self.state + 1013904223) % 2**32
        return self.state / 2**31 - 1.0


def snare(noise, secs=0.09, amp=1.0):
    """A snare hit: band-limited noise with a fast decay, plus a short low body."""
    out = []
    low = 0.0
    prev = 0.0
    for i in range(int(secs * RATE)):
        t = i / RATE
        x = noise.next()
        # A one-pole low-pass, then the difference: a rough band-pass around 2–5 kHz.
        low += 0.45 * (x - low)
        band = low - prev
        prev = low
        env = math.exp(-38 * t)
        body = 0.5 * math.exp(-60 * t) * math.sin(2 * math.pi * 190 * t)
        out.append(amp * (env * band * 2.2 + body))
    return out


def finish(samples, peak=0.72, fade=0.03):
    """Normalises to `peak` of full scale and fades the last `fade` seconds out."""
    top = max(1e-9, max(abs(v) for v in samples))
    n = len(samples)
    f = int(fade * RATE)
    out = []
    for i, v in enumerate(samples):
        g = min(1.0, (n - 1 - i) / f) if f else 1.0
        out.append(v / top * peak * g)
    return out


def write(name, samples):
    samples = finish(samples)
    assert len(samples) < 1.5 * RATE, f"{name} is {len(samples) / RATE:.2f} s"
    path = HERE / name
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(round(v * 32767))) for v in samples))
    size = path.stat().st_size
    assert size < 70 * 1024, f"{name} is {size} bytes"
    print(f"{name}: {len(samples) / RATE:.2f} s, {size} bytes")


def start():
    out = silence(1.05)
    mix(out, bell(659.25, 0.6, decay=4.0, amp=0.8), 0.0)  # E5
    mix(out, bell(880.00, 0.9, decay=3.0, amp=1.0), 0.15)  # A5
    return out


def reveal():
    noise = Noise()
    out = silence(1.4)
    # The roll: hits closer and closer together, louder and louder, for 0.62 s.
    t, gap = 0.0, 0.075
    while t < 0.62:
        mix(out, snare(noise, amp=0.25 + 0.75 * (t / 0.62)), t)
        t += gap
        gap = max(0.028, gap * 0.9)
    # The ding on the last beat: C6 with a fifth above, ringing out.
    mix(out, bell(1046.50, 0.75, decay=3.4, amp=1.3), 0.66)
    mix(out, bell(1567.98, 0.5, decay=5.0, amp=0.35), 0.66)
    return out


def podium():
    out = silence(1.45)
    notes = [(523.25, 0.0, 0.16), (659.25, 0.14, 0.16), (783.99, 0.28, 0.16), (1046.50, 0.42, 0.98)]
    for freq, at, secs in notes:
        mix(out, brass(freq, secs, amp=0.9 if secs < 0.5 else 1.0, decay=1.6 if secs > 0.5 else 0.0), at)
    # The held top note gets its chord under it: a fuller ending.
    mix(out, brass(783.99, 0.98, amp=0.35, decay=1.6), 0.42)
    mix(out, brass(659.25, 0.98, amp=0.3, decay=1.6), 0.42)
    return out


if __name__ == "__main__":
    write("start.wav", start())
    write("reveal.wav", reveal())
    write("podium.wav", podium())
