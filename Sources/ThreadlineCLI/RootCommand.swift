import ArgumentParser

/// `threadline`: the root command; each subcommand lives in its own file as an extension.
public struct RootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "threadline",
        abstract: "A provenance ledger for textile and footwear supply chains.",
        discussion: ExitCodes.summary + " Specs/05-cli.md §2 says which failure gives which.",
        subcommands: [
            Demo.self, Init.self, Key.self, Append.self, Submit.self, Entry.self, CheckpointCommand.self,
            Prove.self, Verify.self, VerifyProof.self, ExportTiles.self, Migrate.self, Code.self,
            EventHashCommand.self, Convert.self, CSVTemplate.self, ParticipantCommand.self, Authorize.self, Record.self,
            Import.self,
            ProductCommand.self, Codes.self, Passport.self, Trace.self, Events.self, Reindex.self, Check.self,
            CheckListing.self,
            CheckListings.self,
            BundleCommand.self, VerifyBundle.self, Erase.self, WitnessCommand.self, Monitor.self, Anchor.self,
            Anchors.self,
            Serve.self, Subscribe.self, Subscriptions.self, Unsubscribe.self, VerifyDelivery.self, Label.self,
            RemoteCommand.self,
        ]
    )

    public init() {}
}
