/// The console's page, script, style and icon, compiled into the binary (`Assets/`, embedded by
/// SwiftPM's `embedInCode`): no CDN, no npm, nothing to install beside the binary. Plain
/// JavaScript and SVG, written by hand because the page is small and a framework would need a
/// build step.
enum ConsoleAssets {
    static var page: [UInt8] { PackageResources.index_html }
    static var script: [UInt8] { PackageResources.console_js }
    static var style: [UInt8] { PackageResources.console_css }
    static var icon: [UInt8] { PackageResources.favicon_svg }
}
