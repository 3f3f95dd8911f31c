/// The commit this binary was built from. `scripts/with-commit.sh` (make build, release, test, install, deb) writes
/// the checkout's commit here for the length of the build and puts this line back; a plain `swift build` keeps it.
enum BuildCommit {
    static let id = "unknown commit"
}
