import Foundation
import PackagePlugin

/// Generates `BuildRevision.swift` (the git revision the binary is built from) before every
/// build of the target that uses it, by running `scripts/build-revision.sh`.
///
/// Why a prebuild command: the revision changes without any source file changing, so it cannot
/// be a regular build command with declared inputs. The script rewrites the file only when the
/// revision changed, so an unchanged revision recompiles nothing. Where there is no git checkout
/// (an image build from a copied tree) the script takes `ORDERSTREAM_BUILD_REVISION`.
@main
struct BuildRevisionPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        let script = context.package.directoryURL.appendingPathComponent("scripts/build-revision.sh")
        var environment: [String: String] = [:]
        if let revision = ProcessInfo.processInfo.environment["ORDERSTREAM_BUILD_REVISION"] {
            environment["ORDERSTREAM_BUILD_REVISION"] = revision
        }
        return [
            .prebuildCommand(
                displayName: "Recording the git revision for \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, context.package.directoryURL.path, output.path],
                environment: environment,
                outputFilesDirectory: output)
        ]
    }
}
