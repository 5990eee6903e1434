import ArgumentParser

@main
struct Edgewise: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgewise",
        abstract: "Inspect, benchmark and import Edgewise models.")
}
