import ArgumentParser
import PITRRepository
import PITRSupport
import PITRWAL


struct AcceptClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept-cluster",
        abstract: "Let a cluster that is not a newer major archive into this repository beside the ones it holds.",
        discussion: """
            wal-push and backup-push take a new cluster (a new system identifier) into a repository that archives \
            others only when its major is newer (a pg_upgrade); any other is refused, as it is most often a server \
            pointed at the wrong repository. Run this once, with the id the refusal names, when it does belong here.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The cluster's archive id, <major>-<system identifier>, as the refusal names it.", valueName: "cluster"))
    var cluster: String

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let repository = try invocation.repository()
            try repository.checkExists()
            let identity = try ClusterIdentity(archiveID: cluster)
            _ = try PostgreSQLMajor.require(identity.majorVersion, from: "cluster \(cluster)")
            let object = try ClusterAdmission(repository: repository).accept(identity, now: UTCTime.now())
            print("cluster \(identity.archiveID) may archive into this repository (\(object))")
        }
    }
}
