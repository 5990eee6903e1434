import ArgumentParser
import EdgewiseDevices

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the ALSA PCMs that can capture, as `arecord -L` names them (pass one to `voice listen --device`).")

    @Flag(help: "Also list playback-only PCMs.")
    var all = false

    func run() throws {
        let list = ALSADevice.list(captureOnly: !all)
        if list.isEmpty { print("no ALSA PCMs found (no sound card, or no ALSA configuration)"); return }
        for d in list {
            print(d.name)
            for line in d.description.split(separator: "\n") { print("    " + line) }
        }
    }
}
