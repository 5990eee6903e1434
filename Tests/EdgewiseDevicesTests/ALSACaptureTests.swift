import CALSAFaults
import Foundation
import Testing
@testable import EdgewiseDevices

/// ALSA without a sound card: the `file` plugin over a `null` slave reads a raw S16_LE file as a capture
/// device, and an interposed `snd_pcm_readi`/`snd_pcm_open` (CALSAFaults) injects overruns and unplugs.
/// Every test that touches ALSA is in this one serialized suite: the interposer's counters are global and
/// ALSA reads its configuration (ALSA_CONFIG_PATH, set here before the first open) once per process.
@Suite(.serialized) struct ALSACaptureTests {
    /// A generated ALSA configuration and a raw file of `frames` known samples.
    struct Rig {
        let dir: String, raw: String, samples: [Int16]
        var device: String { "filemic:\(raw)" }
    }

    static let rig: Rig = {
        let dir = NSTemporaryDirectory() + "edgewise-alsa-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let samples = (0..<16000).map { Int16(truncatingIfNeeded: ($0 * 37) % 20011 - 10000) }
        let raw = dir + "/in.raw"
        samples.withUnsafeBytes { _ = FileManager.default.createFile(atPath: raw, contents: Data($0)) }
        let conf = """
            pcm.filemic {
                @args [ FILE ]
                @args.FILE { type string }
                type file
                slave.pcm "null"
                file "/dev/null"
                infile $FILE
                format "raw"
            }
            pcm.edgewisemic {
                type file
                slave.pcm "null"
                file "/dev/null"
                infile "\(raw)"
                format "raw"
                hint { show on description "Edgewise test microphone" }
            }

            """
        _ = FileManager.default.createFile(atPath: dir + "/test-alsa.conf", contents: Data(conf.utf8))
        // alsa.conf must come first (it defines `null`); must be set before the first snd_pcm_open.
        setenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:\(dir)/test-alsa.conf", 1)
        return Rig(dir: dir, raw: raw, samples: samples)
    }()

    /// Reads exactly `count` samples (the file plugin has no end of file) in periods.
    func read(_ c: ALSACapture, _ count: Int) throws -> [Int16] {
        var out = [Int16](repeating: 0, count: count)
        var done = 0
        try out.withUnsafeMutableBufferPointer { p in
            while done < count {
                let n = try c.read(into: UnsafeMutableBufferPointer(rebasing: p[done..<min(count, done + 320)]))
                if n == 0 { break }
                done += n
            }
        }
        return Array(out[..<done])
    }

    @Test func capturesTheFileExactly() throws {
        let rig = Self.rig
        ew_alsa_faults_reset()
        let c = try ALSACapture(device: rig.device)
        #expect(c.periodFrames > 0 && c.bufferFrames >= 2 * c.periodFrames)
        let got = try read(c, rig.samples.count)
        #expect(got == rig.samples)
        #expect(c.overruns == 0 && c.reopens == 0)
    }

    @Test func overrunIsRecoveredAndCounted() throws {
        let rig = Self.rig
        ew_alsa_faults_reset()
        let c = try ALSACapture(device: rig.device)
        var events: [ALSACapture.Event] = []
        c.onEvent = { events.append($0) }
        ew_alsa_faults_xrun_at(3)
        let got = try read(c, 3200)
        #expect(got.count == 3200)
        #expect(c.overruns == 1)
        #expect(events == [.overrun])
        #expect(Array(got[..<640]) == Array(rig.samples[..<640]), "periods before the overrun are intact")
        ew_alsa_faults_reset()
    }

    @Test func unpluggedDeviceIsReopenedWithBackOff() throws {
        let rig = Self.rig
        ew_alsa_faults_reset()
        let c = try ALSACapture(device: rig.device, reopen: .init(initialDelay: 0.005, maximumDelay: 0.02, maximumAttempts: 10))
        var events: [ALSACapture.Event] = []
        c.onEvent = { events.append($0) }
        ew_alsa_faults_gone_at(3, 1)       // the third read finds the device gone…
        ew_alsa_faults_fail_opens(2)       // …and it takes three attempts to come back
        let got = try read(c, 3200)
        #expect(got.count == 3200)
        #expect(c.reopens == 1)
        #expect(c.overruns == 0)
        guard events.count == 4 else { Issue.record("events: \(events)"); return }
        if case .lost = events[0] {} else { Issue.record("first event \(events[0])") }
        if case .reopenFailed(attempt: 1, _, _) = events[1] {} else { Issue.record("second event \(events[1])") }
        if case .reopenFailed(attempt: 2, _, _) = events[2] {} else { Issue.record("third event \(events[2])") }
        #expect(events[3] == .reopened(attempts: 3))
        // The reopened file plugin starts again at the beginning of its file.
        #expect(Array(got[640..<960]) == Array(rig.samples[..<320]))
        ew_alsa_faults_reset()
    }

    @Test func deviceThatNeverComesBackIsAnErrorNotACrash() throws {
        let rig = Self.rig
        ew_alsa_faults_reset()
        let c = try ALSACapture(device: rig.device, reopen: .init(initialDelay: 0.001, maximumDelay: 0.004, maximumAttempts: 3))
        ew_alsa_faults_gone_at(1, -1)
        ew_alsa_faults_fail_opens(-1)
        #expect(throws: AudioError.self) { _ = try read(c, 320) }
        do { _ = try read(c, 320) } catch let AudioError.deviceLost(device, attempts, _) {
            #expect(device == rig.device && attempts == 3)
        } catch { Issue.record("unexpected \(error)") }
        ew_alsa_faults_reset()
    }

    @Test func stopRequestEndsTheBackOff() throws {
        let rig = Self.rig
        ew_alsa_faults_reset()
        let stop = StopFlag()
        let c = try ALSACapture(device: rig.device, reopen: .init(initialDelay: 0.01, maximumDelay: 0.05), stop: stop)
        c.onEvent = { if case .reopenFailed(attempt: 2, _, _) = $0 { stop.request() } }
        ew_alsa_faults_gone_at(1, -1)
        ew_alsa_faults_fail_opens(-1)
        var buf = [Int16](repeating: 0, count: 320)
        let n = try buf.withUnsafeMutableBufferPointer { try c.read(into: $0) }
        #expect(n == 0, "a stopped stream ends")
        ew_alsa_faults_reset()
    }

    @Test func missingDeviceIsANamedError() {
        _ = Self.rig
        ew_alsa_faults_reset()
        do { _ = try ALSACapture(device: "edgewise_no_such_pcm"); Issue.record("opened a PCM that does not exist") }
        catch let AudioError.cannotOpen(device, code, _) { #expect(device == "edgewise_no_such_pcm" && code < 0) }
        catch { Issue.record("unexpected \(error)") }
    }

    @Test func listsCapturePCMsLikeArecord() {
        _ = Self.rig
        let list = ALSADevice.list()
        #expect(list.contains { $0.name == "edgewisemic" && $0.description == "Edgewise test microphone" && $0.canCapture })
        #expect(list.contains { $0.name == "null" })
    }
}
