package io.palisade.status;

import io.palisade.status.PageView.ComponentView;
import io.palisade.status.PageView.Day;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * {@code /}: the page a person reads. Plain HTML with its CSS inline: no script, no font, no image, nothing fetched
 * from anywhere, so it renders at once, works with JavaScript off, and an exported copy is one self-contained file.
 * Every text from the config or an incident goes through {@link Text#html}. Links are relative, so the exported copy
 * works in any directory.
 */
final class StatusHtml {
    /** Resolved incidents listed under "Past incidents". */
    static final int HISTORY = 20;
    private static final DateTimeFormatter DISPLAY = DateTimeFormatter.ofPattern("d MMM yyyy, HH:mm 'UTC'",
            Locale.ENGLISH).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("d MMM yyyy", Locale.ENGLISH);

    private static final String CSS = """
            :root{--ok:#1f9d55;--minor:#c99a06;--major:#e0620d;--critical:#d6322b;--maint:#2f6fde;\
            --none:#d5d9df;--muted:#6b7280;--line:#e6e8eb;--text:#1f2933}
            *{box-sizing:border-box}
            body{margin:0;background:#f5f6f8;color:var(--text);\
            font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
            main{max-width:860px;margin:0 auto;padding:36px 20px 56px}
            header{display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap;gap:8px}
            h1{margin:0;font-size:28px;letter-spacing:-.01em}
            header a{color:var(--muted);font-size:13px}
            h2{font-size:17px;margin:0;padding:16px 0 12px;border-bottom:1px solid var(--line)}
            h3{font-size:16px;margin:0 0 4px}
            a{color:#2557b8}
            .overall{display:flex;align-items:center;gap:12px;margin:22px 0 28px;padding:18px 22px;\
            border-radius:8px;color:#fff;font-size:19px;font-weight:600}
            .overall.none{background:var(--ok)}.overall.minor{background:var(--minor)}\
            .overall.major{background:var(--major)}.overall.critical{background:var(--critical)}\
            .overall.maintenance{background:var(--maint)}
            .card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:0 22px 6px;\
            margin:0 0 24px}
            .incident{padding:16px 0 10px 14px;margin:14px 0;border-left:4px solid var(--minor)}
            .incident.none{border-color:var(--none)}.incident.minor{border-color:var(--minor)}\
            .incident.major{border-color:var(--major)}.incident.critical{border-color:var(--critical)}\
            .incident.maintenance{border-color:var(--maint)}
            .meta{color:var(--muted);font-size:13px;margin:0 0 8px}
            ol.updates{list-style:none;margin:0;padding:0}
            ol.updates li{margin:0 0 10px}
            .update-body{white-space:pre-line}
            time{color:var(--muted);font-size:13px;display:block}
            .component{padding:16px 0 12px;border-top:1px solid var(--line)}
            .component:first-of-type{border-top:0}
            .row{display:flex;justify-content:space-between;align-items:baseline;gap:12px}
            .name{font-weight:600}
            .status{font-size:14px;font-weight:600}
            .st-operational{color:var(--ok)}.st-under_maintenance{color:var(--maint)}\
            .st-degraded_performance{color:var(--minor)}.st-partial_outage{color:var(--major)}\
            .st-major_outage{color:var(--critical)}
            .bars{display:flex;gap:2px;height:32px;margin:10px 0 6px}
            .bars span{flex:1;min-width:2px;border-radius:2px;background:var(--none)}
            .bars .u-ok{background:var(--ok)}.bars .u-minor{background:#8cc63f}\
            .bars .u-warn{background:var(--minor)}.bars .u-major{background:var(--major)}\
            .bars .u-bad{background:var(--critical)}
            .legend{display:flex;justify-content:space-between;color:var(--muted);font-size:12px}
            .empty{color:var(--muted);padding:14px 0}
            .past{padding:14px 0;border-top:1px solid var(--line)}
            .past:first-of-type{border-top:0}
            details summary{cursor:pointer;color:var(--muted);font-size:13px;margin:4px 0}
            details ol{margin-top:8px}
            .postmortem{background:#f8f9fb;border:1px solid var(--line);border-radius:6px;padding:10px 14px;\
            margin:8px 0;white-space:pre-line}
            footer{color:var(--muted);font-size:13px;text-align:center;margin-top:28px}
            footer time{display:inline}
            """;

    private StatusHtml() {}

    static byte[] render(PageView view) {
        StringBuilder h = new StringBuilder(32 * 1024);
        String title = Text.html(view.settings().title());
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(title).append(" status</title>\n")
                .append("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"").append(title)
                .append(" status history\" href=\"history.atom\">\n")
                .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n<main>\n");
        h.append("<header><h1>").append(title).append("</h1><a href=\"history.atom\">Subscribe (Atom)</a></header>\n");
        h.append("<div class=\"overall ").append(view.indicator().wire()).append("\" id=\"overall\">")
                .append(Text.html(view.indicator().description)).append("</div>\n");
        List<Incident> active = view.unresolved();
        if (!active.isEmpty()) {
            h.append("<section class=\"card\" id=\"incidents\">\n<h2>Active incidents</h2>\n");
            active.forEach(i -> incident(h, view, i, true));
            h.append("</section>\n");
        }
        List<Maintenance> inProgress = view.maintenances(Maintenance.Status.IN_PROGRESS);
        List<Maintenance> upcoming = view.maintenances(Maintenance.Status.SCHEDULED);
        if (!inProgress.isEmpty() || !upcoming.isEmpty()) {
            h.append("<section class=\"card\" id=\"maintenance\">\n<h2>Scheduled maintenance</h2>\n");
            inProgress.forEach(m -> maintenance(h, view, m, "In progress"));
            upcoming.forEach(m -> maintenance(h, view, m, "Scheduled"));
            h.append("</section>\n");
        }
        h.append("<section class=\"card\" id=\"components\">\n<h2>Components</h2>\n");
        view.components().forEach(c -> component(h, c));
        h.append("</section>\n");
        h.append("<section class=\"card\" id=\"history\">\n<h2>Past incidents</h2>\n");
        List<Incident> past = view.closed();
        if (past.isEmpty()) {
            h.append("<p class=\"empty\">No incidents reported.</p>\n");
        }
        past.subList(0, Math.min(HISTORY, past.size())).forEach(i -> incident(h, view, i, false));
        h.append("</section>\n");
        h.append("<footer>Updated <time datetime=\"").append(StatusJson.time(view.updatedAt())).append("\">")
                .append(displayTime(view.updatedAt())).append("</time> · <a href=\"history.atom\">Atom feed</a> · ")
                .append("<a href=\"api/v2/summary.json\">JSON API</a></footer>\n");
        h.append("</main>\n</body>\n</html>\n");
        return h.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void incident(StringBuilder h, PageView view, Incident i, boolean active) {
        String impact = i.impact().wire();
        h.append(active ? "<article class=\"incident " + impact + "\"" : "<article class=\"past\"")
                .append(" id=\"incident-").append(Text.html(i.id())).append("\">\n")
                .append("<h3 class=\"incident-name\">").append(Text.html(i.name())).append("</h3>\n")
                .append("<p class=\"meta\">");
        if (active) {
            h.append(Text.html(capitalised(impact))).append(" impact");
        } else {
            h.append(Text.html(i.status().label())).append(" · ")
                    .append(displayTime(i.resolvedAt().orElse(i.updatedAt())));
        }
        if (!i.components().isEmpty()) {
            h.append(" · affects ").append(i.components().keySet().stream()
                    .map(c -> Text.html(view.componentName(c))).collect(Collectors.joining(", ")));
        }
        h.append("</p>\n");
        i.postmortem().ifPresent(p -> h.append("<h4>Postmortem</h4>\n<div class=\"postmortem\">")
                .append(Text.html(p)).append("</div>\n"));
        List<IncidentUpdate> newestFirst = i.updates().reversed();
        if (active) {
            updates(h, newestFirst);
        } else {
            h.append("<details><summary>").append(newestFirst.size())
                    .append(newestFirst.size() == 1 ? " update" : " updates").append("</summary>\n");
            updates(h, newestFirst);
            h.append("</details>\n");
        }
        h.append("</article>\n");
    }

    private static void updates(StringBuilder h, List<IncidentUpdate> updates) {
        h.append("<ol class=\"updates\">\n");
        for (IncidentUpdate u : updates) {
            h.append("<li><strong>").append(Text.html(u.status().label())).append("</strong> - ")
                    .append("<span class=\"update-body\">").append(Text.html(u.body())).append("</span>")
                    .append("<time datetime=\"").append(StatusJson.time(u.createdAt())).append("\">")
                    .append(displayTime(u.createdAt())).append("</time></li>\n");
        }
        h.append("</ol>\n");
    }

    private static void maintenance(StringBuilder h, PageView view, Maintenance m, String state) {
        h.append("<article class=\"incident maintenance\" id=\"maintenance-").append(Text.html(m.id())).append("\">\n")
                .append("<h3>").append(Text.html(m.name())).append("</h3>\n")
                .append("<p class=\"meta\">").append(state).append(" · ")
                .append(displayTime(m.scheduledFor())).append(" to ").append(displayTime(m.scheduledUntil()))
                .append(" · affects ").append(m.components().stream().map(c -> Text.html(view.componentName(c)))
                        .collect(Collectors.joining(", ")))
                .append("</p>\n<p class=\"update-body\">").append(Text.html(m.body())).append("</p>\n</article>\n");
    }

    private static void component(StringBuilder h, ComponentView c) {
        h.append("<div class=\"component\" id=\"component-").append(Text.html(c.id())).append("\">\n")
                .append("<div class=\"row\"><span class=\"name\">").append(Text.html(c.name())).append("</span>")
                .append("<span class=\"status st-").append(c.status().wire()).append("\">")
                .append(Text.html(c.status().label())).append("</span></div>\n")
                .append("<div class=\"bars\" role=\"img\" aria-label=\"Uptime over the last ")
                .append(c.days().size()).append(" days\">");
        for (Day d : c.days()) {
            h.append("<span class=\"").append(barClass(d.uptime())).append("\" title=\"")
                    .append(d.date().format(DAY)).append(": ").append(uptimeText(d.uptime())).append("\"></span>");
        }
        h.append("</div>\n<div class=\"legend\"><span>").append(c.days().size()).append(" days ago</span><span>");
        OptionalDouble overall = c.uptime();
        h.append(overall.isPresent() ? uptimeText(overall) + " uptime" : "no data yet");
        h.append("</span><span>Today</span></div>\n</div>\n");
    }

    static String barClass(OptionalDouble uptime) {
        if (uptime.isEmpty()) {
            return "u-none";
        }
        double u = uptime.getAsDouble();
        if (u >= 0.999) {
            return "u-ok";
        }
        if (u >= 0.99) {
            return "u-minor";
        }
        if (u >= 0.95) {
            return "u-warn";
        }
        return u >= 0.90 ? "u-major" : "u-bad";
    }

    private static String uptimeText(OptionalDouble uptime) {
        if (uptime.isEmpty()) {
            return "no data";
        }
        double p = uptime.getAsDouble() * 100;
        // Floor, not round: 99.996% shown as 100.00% would claim a perfect day that was not.
        return String.format(Locale.ROOT, "%.2f%%", Math.floor(p * 100) / 100);
    }

    static String displayTime(Instant t) {
        return DISPLAY.format(t);
    }

    private static String capitalised(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
