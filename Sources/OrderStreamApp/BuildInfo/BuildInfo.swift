/// Which release this binary is: printed by `orderstream --version`, exported as the
/// `orderstream_build_info{version,revision}` gauge and carried by the image's OCI labels.
///
/// A release bumps `version` and tags the commit `v<version>` (docs/OPERATIONS.md, "Releases");
/// the revision comes from git at build time (`BuildRevisionPlugin`).
public enum BuildInfo {
    /// The release version (semantic versioning).
    public static let version = "0.4.0"

    /// The git revision the binary was built from (`-dirty` with uncommitted changes), or
    /// `unknown` when built outside a checkout without `ORDERSTREAM_BUILD_REVISION`.
    public static let revision = BuildRevision.revision

    /// `orderstream 0.2.0 (revision 1a2b3c...)`.
    public static var versionLine: String { "orderstream \(version) (revision \(revision))" }
}
