#!/usr/bin/env python3
"""Builds Datasets/voice/demo.wav and demo-truth.csv: a short 16 kHz mono stream of Speech Commands v0.02 clips
(test-split speakers, CC BY 4.0) at known times over quiet background noise from the same dataset.

Usage: Scripts/voice-demo-stream.py [KWS_DIR]   (default ../shared/datasets/kws)
Needs only Python 3 and libsndfile (Debian libsndfile1, which `make deps` installs), through ctypes.
Deterministic: the same inputs give the same bytes.
"""
import ctypes, ctypes.util, csv, os, struct, sys, wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KWS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "datasets", "kws")
OUT = os.path.join(ROOT, "Datasets", "voice")
RATE = 16000

# (onset in seconds, clip relative to KWS). Keywords the demo must detect, and one other word it must not.
# Test-split clips that the shipped DS-CNN-S classifies correctly as isolated clips (the demo shows the
# pipeline working, not the accuracy: `voice eval` measures that).
EVENTS = [
    (1.0, "yes/fb7eb481_nohash_1.flac"),
    (3.0, "stop/37fc5d97_nohash_0.flac"),
    (5.0, "house/412c675c_nohash_0.flac"),
    (7.0, "left/80c45ed6_nohash_1.flac"),
    (9.0, "go/5ff3f9a1_nohash_0.flac"),
]
NOISE = ("_background_noise_/running_tap.flac", 0.08)   # recording, gain (its last 10 %: the test region)
DURATION = 11.0

class SF_INFO(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]

lib = ctypes.CDLL(ctypes.util.find_library("sndfile") or "libsndfile.so.1")
lib.sf_open.restype = ctypes.c_void_p
lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(SF_INFO)]
lib.sf_readf_short.restype = ctypes.c_int64
lib.sf_readf_short.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_short), ctypes.c_int64]
lib.sf_close.argtypes = [ctypes.c_void_p]

def read(path):
    info = SF_INFO()
    h = lib.sf_open(path.encode(), 0x10, ctypes.byref(info))
    if not h:
        sys.exit(f"cannot open {path}")
    if info.samplerate != RATE or info.channels != 1:
        sys.exit(f"{path}: expected 16 kHz mono")
    buf = (ctypes.c_short * info.frames)()
    n = lib.sf_readf_short(h, buf, info.frames)
    lib.sf_close(h)
    return list(buf[:n])

def main():
    total = int(DURATION * RATE)
    noise = read(os.path.join(KWS, NOISE[0]))
    start = len(noise) * 9 // 10
    mix = [noise[start + (i % (len(noise) - start))] * NOISE[1] for i in range(total)]
    splits = {r["file"]: r for r in csv.DictReader(open(os.path.join(KWS, "splits.csv")))}
    rows = []
    for onset, clip in EVENTS:
        if splits[clip]["split"] != "test":
            sys.exit(f"{clip} is not a test-split clip")
        s = read(os.path.join(KWS, clip))
        o = int(onset * RATE)
        for i, v in enumerate(s):
            mix[o + i] += v
        word = clip.split("/")[0]
        label = word if splits[clip]["label"] != "unknown" else "_unknown_"
        rows.append((onset, onset + len(s) / RATE, word, label, clip))
    pcm = b"".join(struct.pack("<h", max(-32768, min(32767, int(round(v))))) for v in mix)
    os.makedirs(OUT, exist_ok=True)
    with wave.open(os.path.join(OUT, "demo.wav"), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(RATE); w.writeframes(pcm)
    with open(os.path.join(OUT, "demo-truth.csv"), "w") as f:
        f.write("onset,offset,word,label,clip\n")
        for r in rows:
            f.write(f"{r[0]:.3f},{r[1]:.3f},{r[2]},{r[3]},{r[4]}\n")
    print(f"wrote {OUT}/demo.wav ({len(pcm) + 44} bytes, {DURATION} s) and demo-truth.csv ({len(rows)} events)")

main()
