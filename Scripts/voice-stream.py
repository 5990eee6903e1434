#!/usr/bin/env python3
"""Builds a long keyword-spotting test stream and its ground truth from ../shared/datasets/kws (never committed):
test-split keyword and unknown-word clips inserted at known times, with gaps, into the test region (last 10 %)
of the dataset's background-noise recordings, at varied SNR.

Usage: Scripts/voice-stream.py [--minutes 120] [--seed 1] [--kws DIR] [--out out/voice]
Writes OUT/stream.wav (16 kHz mono 16-bit) and OUT/stream-truth.csv (onset,offset,word,label,clip,snr_db,noise).
Needs Python 3 with numpy (python3 -m venv /tmp/venv-voice && /tmp/venv-voice/bin/pip install numpy) and
libsndfile (Debian libsndfile1) through ctypes.

Layout: events every 1.5-4.5 s of gap; 85 % keywords, 15 % other words; each event picks a noise recording
and an SNR uniform in [0, 20] dB (RMS of the clip's loudest 0.5 s against the noise RMS); the noise bed is
each recording's test region looped, switching recording at every event, at a level uniform in [-45, -25] dBFS.
"""
import argparse, csv, ctypes, ctypes.util, os, sys, wave
import numpy as np

RATE = 16000
ap = argparse.ArgumentParser()
ap.add_argument("--minutes", type=float, default=120)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--kws", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "datasets", "kws"))
ap.add_argument("--out", default="out/voice")
a = ap.parse_args()

class SF_INFO(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]
lib = ctypes.CDLL(ctypes.util.find_library("sndfile") or "libsndfile.so.1")
lib.sf_open.restype = ctypes.c_void_p
lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(SF_INFO)]
lib.sf_readf_short.restype = ctypes.c_int64
lib.sf_readf_short.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
lib.sf_close.argtypes = [ctypes.c_void_p]

def read(path):
    info = SF_INFO()
    h = lib.sf_open(path.encode(), 0x10, ctypes.byref(info))
    if not h or info.samplerate != RATE or info.channels != 1:
        sys.exit(f"cannot read {path} as 16 kHz mono")
    buf = np.zeros(info.frames, dtype=np.int16)
    n = lib.sf_readf_short(h, buf.ctypes.data, info.frames)
    lib.sf_close(h)
    return buf[:n].astype(np.float64) / 32768

rng = np.random.default_rng(a.seed)
rows = list(csv.DictReader(open(os.path.join(a.kws, "splits.csv"))))
test = [r for r in rows if r["split"] == "test"]
keywords = [r for r in test if r["label"] != "unknown"]
unknown = [r for r in test if r["label"] == "unknown"]
noise_dir = os.path.join(a.kws, "_background_noise_")
noises = {}
for n in sorted(os.listdir(noise_dir)):
    x = read(os.path.join(noise_dir, n))
    seg = x[len(x) * 9 // 10:]
    noises[n.rsplit(".", 1)[0]] = seg / (np.sqrt(np.mean(seg ** 2)) + 1e-12)   # unit RMS
names = sorted(noises)
total = int(a.minutes * 60 * RATE)
out = np.zeros(total)
truth = []
pos, cursor = 0, 0
name = names[0]; level = 10 ** (-35 / 20)
def bed(start, end):
    global cursor
    seg = noises[name]
    idx = (np.arange(start, end) + cursor) % len(seg)
    out[start:end] += seg[idx] * level
pos = int(rng.uniform(1.5, 4.5) * RATE)
bed(0, pos)
while True:
    r = keywords[rng.integers(len(keywords))] if rng.random() < 0.85 else unknown[rng.integers(len(unknown))]
    clip = read(os.path.join(a.kws, r["file"]))
    gap = int(rng.uniform(1.5, 4.5) * RATE)
    end = pos + len(clip) + gap
    if end > total:
        bed(pos, total)
        break
    name = names[rng.integers(len(names))]
    cursor = int(rng.integers(len(noises[name])))
    level = 10 ** (rng.uniform(-45, -25) / 20)
    bed(pos, end)
    snr = rng.uniform(0, 20)
    win = RATE // 2
    c = np.concatenate([[0.0], np.cumsum(clip ** 2)])
    energy = (c[win:] - c[:-win]) / win if len(clip) > win else np.array([np.mean(clip ** 2)])
    rms = np.sqrt(energy.max()) + 1e-12
    out[pos:pos + len(clip)] += clip * (level * 10 ** (snr / 20) / rms)
    word = r["file"].split("/")[0]
    label = word if r["label"] != "unknown" else "_unknown_"
    truth.append((pos / RATE, (pos + len(clip)) / RATE, word, label, r["file"], snr, name))
    pos = end
os.makedirs(a.out, exist_ok=True)
pcm = np.clip(np.round(out * 32768), -32768, 32767).astype("<i2")
with wave.open(os.path.join(a.out, "stream.wav"), "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(RATE); w.writeframes(pcm.tobytes())
with open(os.path.join(a.out, "stream-truth.csv"), "w") as f:
    f.write("onset,offset,word,label,clip,snr_db,noise\n")
    for t in truth:
        f.write(f"{t[0]:.3f},{t[1]:.3f},{t[2]},{t[3]},{t[4]},{t[5]:.1f},{t[6]}\n")
k = sum(1 for t in truth if not t[3].startswith("_"))
print(f"wrote {a.out}/stream.wav ({a.minutes} min) and stream-truth.csv: {k} keywords, {len(truth) - k} other words")
