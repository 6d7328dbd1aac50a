#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""make_cabinet_irs.py - generate stagerack's built-in cabinet impulse responses.

Run from the repository root:  /usr/bin/python3 tools/make_cabinet_irs.py

Each cabinet is described as a product of physically-motivated magnitude pieces (box resonance,
cone break-up peaks/dips, voice-coil/cone-mass roll-off, microphone tilt, combs from a second
speaker or a dipole back wave). The magnitude is turned into a minimum-phase FIR with the real
cepstrum, explicit early reflections / a room tail are added in the time domain, the tail is faded
with a half Hann window and the result is normalised to 0 dB broadband gain on pink noise.
Everything is deterministic (the only noise comes from a fixed-seed integer LCG written here), so
re-running the script reproduces the committed WAV files. Needs only numpy and scipy.
"""
import os
import sys

import numpy as np
from scipy.io import wavfile
from scipy.signal import butter, freqz, lfilter

FS = 48000
NFFT = 1 << 17           # large FFT: keeps cepstral aliasing of sharp resonances negligible
FLOOR = 1e-6             # -120 dB floor so log|H| is finite at DC / Nyquist
TABLE_FREQS = [50, 100, 200, 400, 800, 1600, 3200, 6400, 10000]
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "effects", "cabinet", "irs")

# Frequency grid of the full FFT (only bins 0..NFFT/2 are used for the magnitude).
F = np.arange(NFFT // 2 + 1) * FS / NFFT
S = 2j * np.pi * F       # analog s = j*omega: pieces are analog prototypes, so no bilinear warping


# ---- magnitude pieces (each returns a complex or real response on the grid F) -------------------
def hp2(f0, q):
    """2nd-order high-pass with resonant Q: the speaker's mass/compliance (box) resonance."""
    w = 2 * np.pi * f0
    return S**2 / (S**2 + S * w / q + w**2)


def hp1(f0):
    """1st-order high-pass: extra low cut (e.g. a leaky/open cabinet, mic distance)."""
    w = 2 * np.pi * f0
    return S / (S + w)


def lp(fc, order):
    """Butterworth low-pass magnitude of a given order: voice-coil inductance + cone mass roll-off."""
    return 1.0 / np.sqrt(1.0 + (F / fc) ** (2 * order))


def peak(f0, q, gain_db):
    """Analog peaking section (RBJ prototype): cone break-up peaks and dips, body modes."""
    w, a = 2 * np.pi * f0, 10 ** (gain_db / 40)
    return (S**2 + S * w * a / q + w**2) / (S**2 + S * w / (a * q) + w**2)


def shelf(f0, gain_db, high=False):
    """1st-order shelf: proximity-effect bass lift (low) or off-axis / brightness tilt (high)."""
    w, g = 2 * np.pi * f0, 10 ** (gain_db / 20)
    return (S * g + w) / (S + w) if high else (S + w * g) / (S + w)


def comb(delay_ms, gain):
    """Second arrival at delay_ms (second speaker, reflection): 1 + g*e^{-jwt}; min-phase if |g|<1."""
    return 1 + gain * np.exp(-S * delay_ms * 1e-3)


def dipole(delay_ms, gain, f_back):
    """Open back: the rear wave (inverted, diffracted around the box and absorbed, so 2nd-order
    low-passed at f_back) arrives delay_ms later and cancels the front wave at low frequencies."""
    g = gain / (1 + (F / f_back) ** 2)
    return 1 - g * np.exp(-S * delay_ms * 1e-3)


# ---- design -------------------------------------------------------------------------------------
# Each design: length (samples), magnitude pieces, optional time-domain extras. The README lists
# the same numbers; keep the two in sync (the README table is pasted from this script's output).
DESIGNS = {
    "1x12": dict(length=2048, pieces=[
        hp2(88, 1.5),             # tight open-ish combo: speaker resonance bump ~100 Hz
        hp1(45),                  # partly open back leaks the deepest bass
        peak(220, 1.0, -1.5),     # a little less low-mid boom
        peak(2500, 1.4, 5.0),     # cone break-up presence
        peak(4200, 4.0, -4.0),    # break-up dip above the presence peak
        lp(5000, 6),              # cone mass / voice-coil inductance roll-off
    ]),
    "2x12": dict(length=2048, pieces=[
        hp2(80, 1.1),             # speaker/box resonance slightly lower than the 1x12
        shelf(160, 2.5),          # more low end: two cones, more radiating area (proximity-like)
        peak(2300, 1.4, 4.0),     # break-up presence
        peak(4300, 4.0, -3.0),    # break-up dip
        comb(0.30, 0.25),         # second speaker 10 cm farther from the mic: notches 1.7, 5 kHz
        lp(5500, 6),
    ]),
    "4x12_closed": dict(length=2048, pieces=[
        hp2(91, 1.7),             # sealed box stiffens the cone: strong resonant thump at 100 Hz
        hp1(35),                  # nothing much below the box resonance
        peak(600, 0.7, -5.0),     # scooped 400-800 Hz (classic closed 4x12 with V30-type cones)
        peak(3000, 1.6, 6.0),     # presence peak 2.5-3.5 kHz
        peak(1700, 2.0, -1.5),    # small break-up dip below the presence peak
        lp(5500, 8),              # steep roll-off above 5-6 kHz
    ]),
    "open_back": dict(length=2048, pieces=[
        hp2(80, 0.9),             # free-air speaker resonance, less damped box
        dipole(1.3, 0.7, 250),    # rear wave 45 cm farther: cancels below ~150 Hz
        peak(2200, 1.2, 3.0),     # presence
        shelf(4000, 2.0, high=True),  # airy top: less beaming loss, mic a bit off the cap
        lp(7000, 4),              # gentler roll-off than the closed cabs
    ], reflection=dict(delay_ms=3.2, gain=0.30, lp_hz=3000)),  # 1.1 m extra path: wall ~0.55 m behind
    "bass_8x10": dict(length=4096, pieces=[
        hp2(42, 1.0),             # ported box: 4th-order high-pass, tuned ~40 Hz ...
        hp2(38, 0.6),             # ... as two 2nd-order sections (port + driver)
        peak(100, 1.0, 1.5),      # slight low-end weight
        peak(500, 0.8, -1.0),     # smooth, very mild mid contour
        lp(3500, 6),              # eight 10" cones, no tweeter: roll-off above 3-4 kHz, no fizz
    ]),
    "acoustic": dict(length=6144, pieces=[
        hp2(70, 0.7),             # remove sub-body rumble
        peak(100, 5.0, 7.0),      # Helmholtz (air) resonance of the body
        peak(200, 5.0, 5.0),      # top-plate main resonance
        peak(400, 3.0, 1.5),      # secondary plate mode
        peak(1200, 0.8, -3.0),    # tame the piezo "quack" in the upper mids
        shelf(3000, 4.0, high=True),  # broad, bright top (string/air detail a piezo misses)
        lp(12000, 4),             # keep 10 kHz open, remove harshness above
    ], room=dict(start_ms=2.0, t60_ms=70.0, level_db=-18.0, lp_hz=6000, seed=20240611)),
}


# ---- processing ---------------------------------------------------------------------------------
def minimum_phase(mag_half):
    """Real-cepstrum (homomorphic) minimum-phase impulse response from a one-sided magnitude."""
    mag = np.maximum(mag_half, FLOOR)
    full = np.concatenate([mag, mag[-2:0:-1]])           # even-symmetric full spectrum
    cep = np.fft.ifft(np.log(full)).real
    fold = np.zeros(NFFT)                                 # fold the anti-causal part onto causal
    fold[0] = 1.0
    fold[1:NFFT // 2] = 2.0
    fold[NFFT // 2] = 1.0
    return np.fft.ifft(np.exp(np.fft.fft(cep * fold))).real


def lcg_noise(n, seed):
    """Deterministic white noise in [-1, 1) from a 32-bit LCG (numpy RNG streams may change)."""
    out, x = np.empty(n), seed & 0xFFFFFFFF
    for i in range(n):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        out[i] = x / 2**31 - 1.0
    return out


def pink_gain(h):
    """Power gain averaged over log-spaced frequencies 20 Hz - 20 kHz = RMS gain on pink noise."""
    f = np.geomspace(20, 20000, 2000)
    _, H = freqz(h, worN=f, fs=FS)
    return np.sqrt(np.mean(np.abs(H) ** 2))


def build(name, d):
    target = np.ones(len(F))
    for p in d["pieces"]:
        target = target * np.abs(p)
    full = minimum_phase(target)
    n = d["length"]

    trunc = np.sum(full[n:] ** 2) / np.sum(full ** 2)   # energy lost by truncating to n samples
    fade = n // 4           # half-Hann fade over the last quarter: no truncation click
    win = np.ones(n)
    win[n - fade:] = 0.5 * (1 + np.cos(np.pi * np.arange(fade) / fade))
    h = full[:n] * win

    # Sanity check: the short, faded FIR must still follow the designed magnitude (40 Hz-16 kHz).
    f = np.geomspace(40, 16000, 400)
    _, H = freqz(h, worN=f, fs=FS)
    err = np.max(np.abs(20 * np.log10(np.abs(H) / np.interp(f, F, target))))
    assert err < 0.5, f"{name}: truncated FIR deviates {err:.3f} dB from the design"

    if "reflection" in d:   # early reflection: delayed, low-passed (absorbing wall) copy
        r = d["reflection"]
        k = int(round(r["delay_ms"] * 1e-3 * FS))
        b, a = butter(2, r["lp_hz"], fs=FS)
        h[k:] += r["gain"] * lfilter(b, a, h)[: n - k]

    if "room" in d:         # small room: exponentially decaying, low-passed noise tail
        r = d["room"]
        t = np.arange(n) / FS
        k = int(round(r["start_ms"] * 1e-3 * FS))
        b, a = butter(2, r["lp_hz"], fs=FS)
        tail = lfilter(b, a, lcg_noise(n, r["seed"])) * 10 ** (-3 * t / (r["t60_ms"] * 1e-3))
        tail[:k] = 0.0
        tail[k:k + 96] *= np.linspace(0, 1, 96)   # 2 ms onset ramp avoids a step
        # scale tail energy relative to the direct (body) response
        tail *= np.sqrt(np.sum(h ** 2) / np.sum(tail ** 2)) * 10 ** (r["level_db"] / 20)
        h += tail

    h[n - fade:] *= win[n - fade:]   # fade the added reflection / room tail too
    h /= pink_gain(h)       # normalisation rule: 0 dB broadband RMS gain on pink noise

    # Minimum phase => energy at the start, not a delayed pulse: check it.
    first_ms = np.sum(h[:48] ** 2) / np.sum(h ** 2)
    pk = int(np.argmax(np.abs(h)))
    assert h[0] != 0 and pk < 48, f"{name}: peak at sample {pk}"
    return h.astype(np.float32), dict(err=err, trunc=trunc, first_ms=first_ms, peak=pk)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    hdr = "| IR | len | " + " | ".join(f"{f} Hz" for f in TABLE_FREQS) + " |"
    rows, notes = [hdr, "|" + "---|" * (len(TABLE_FREQS) + 2)], []
    for name, d in DESIGNS.items():
        h, st = build(name, d)
        path = os.path.join(OUT_DIR, name + ".wav")
        wavfile.write(path, FS, h)
        _, H = freqz(h.astype(np.float64), worN=np.array(TABLE_FREQS, float), fs=FS)
        db = 20 * np.log10(np.abs(H))
        rows.append(f"| {name} | {len(h)} | " + " | ".join(f"{v:+.1f}" for v in db) + " |")
        notes.append(f"{name}: {os.path.getsize(path)} bytes, h[0]={h[0]:+.4f}, peak at sample "
                     f"{st['peak']}, energy in first 1 ms {100 * st['first_ms']:.0f} %, "
                     f"FIR-vs-design error {st['err']:.4f} dB, truncated energy {st['trunc']:.1e}")
    print("Magnitude (dB) of each IR, normalised to 0 dB RMS gain on pink noise (20 Hz - 20 kHz):\n")
    print("\n".join(rows))
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    sys.exit(main())
