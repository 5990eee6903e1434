import ArgumentParser

/// `wearable`: replays wearable recordings (ECG, PPG) through beat detection and classification.
@main
struct Wearable: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wearable",
        abstract: "Detect and classify heartbeats in wearable ECG/PPG recordings, faster than real time.",
        subcommands: [ReplayCommand.self, EvalCommand.self, TrainCommand.self, AdaptCommand.self, CalibrateCommand.self, EvalPPGCommand.self, ExcerptCommand.self])
}

import EdgewisePolicy

extension PolicyMode: ExpressibleByArgument {}
