import Foundation

extension Cutover {
    /// What `orderstream cutover` prints about a step.
    public static func describe(_ report: Report) -> String {
        if report.alreadyActive {
            if report.kind == .abort {
                return
                    "no canary is out in group \(report.group): \(report.toColor) owns every partition; nothing to do"
            }
            return
                "\(report.toColor) is already the active color of group \(report.group) (epoch \(report.epoch)); nothing to do"
        }
        let scope = report.kind == .cutover ? "" : " of \(report.moved.joined(separator: ", "))"
        var lines = [
            "\(report.kind) of group \(report.group)\(scope): \(report.fromColor) -> \(report.toColor), epoch \(report.epoch)",
            "\(report.toColor) committed on every partition with pending events \(String(format: "%.3f", report.completionSeconds)) s after the fence",
        ]
        if let lsn = report.walPosition {
            lines.append(
                report.restorePoint.map { "restore point \($0) at WAL \(lsn)" }
                    ?? "no restore point (--no-restore-point); WAL position before the fence: \(lsn)")
        }
        if report.terminatedSessions > 0 {
            lines.append(
                "ended \(report.terminatedSessions) session(s) of \(report.fromColor) that held the position rows")
        }
        if let verification = report.verification {
            lines.append(verification.verdict(color: report.toColor, epoch: report.epoch))
        }
        if let pause = report.pauseSeconds {
            lines.append(
                "processing pause: \(String(format: "%.3f", pause)) s (last \(report.fromColor) commit to first \(report.toColor) commit)"
            )
        } else {
            lines.append("processing pause: none measured (no events were pending)")
        }
        return lines.joined(separator: "\n")
    }
}
