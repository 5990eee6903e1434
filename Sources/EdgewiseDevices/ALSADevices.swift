import CALSA
import Glibc

/// A PCM as ALSA's configuration names it, like a line of `arecord -L`.
public struct ALSADevice: Sendable, Equatable {
    /// The name to pass to `--device` (`default`, `sysdefault:CARD=…`, `plughw:CARD=…,DEV=0`).
    public let name: String
    /// ALSA's description, possibly several lines.
    public let description: String
    /// Whether the PCM can capture (ALSA's `IOID` hint is absent or `Input`).
    public let canCapture: Bool

    /// Every PCM ALSA's hints list (`snd_device_name_hint`), in ALSA's order; capture-only when
    /// `captureOnly`. An empty list when there is no sound card; never throws.
    public static func list(captureOnly: Bool = true) -> [ALSADevice] {
        ew_alsa_quiet()
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        func hint(_ h: UnsafeMutableRawPointer, _ key: String) -> String? {
            guard let p = snd_device_name_get_hint(h, key) else { return nil }
            defer { free(p) }
            return String(cString: p)
        }
        var out: [ALSADevice] = []
        var i = 0
        while let h = hints[i] {
            i += 1
            guard let name = hint(h, "NAME") else { continue }
            let io = hint(h, "IOID")
            let capture = io == nil || io == "Input"
            if captureOnly && !capture { continue }
            out.append(ALSADevice(name: name, description: hint(h, "DESC") ?? "", canCapture: capture))
        }
        return out
    }
}
