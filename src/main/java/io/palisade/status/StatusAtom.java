package io.palisade.status;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code /history.atom}: an Atom (RFC 4287) feed with one entry per published incident, its updates newest first in
 * the entry's content, updated whenever the incident is, as Statuspage's feed has it. Links are relative to the
 * feed, so an exported copy works wherever it is served.
 */
final class StatusAtom {
    static final int ENTRIES = 50;

    private StatusAtom() {}

    static byte[] render(PageView view) {
        StringBuilder x = new StringBuilder(8192);
        String title = Text.xml(view.settings().title());
        x.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n")
                .append("  <id>urn:palisade:status:").append(view.pageId()).append("</id>\n")
                .append("  <title>").append(title).append(" status history</title>\n")
                .append("  <updated>").append(StatusJson.time(view.updatedAt())).append("</updated>\n")
                .append("  <link rel=\"alternate\" type=\"text/html\" href=\"./\"/>\n")
                .append("  <link rel=\"self\" type=\"application/atom+xml\" href=\"history.atom\"/>\n")
                .append("  <author><name>").append(title).append("</name></author>\n");
        List<Incident> incidents = view.incidents();
        for (Incident i : incidents.subList(0, Math.min(ENTRIES, incidents.size()))) {
            x.append("  <entry>\n")
                    .append("    <id>urn:palisade:status:").append(view.pageId()).append(":incident:")
                    .append(i.id()).append("</id>\n")
                    .append("    <published>").append(StatusJson.time(i.publishedAt().orElse(i.createdAt())))
                    .append("</published>\n")
                    .append("    <updated>").append(StatusJson.time(i.updatedAt())).append("</updated>\n")
                    .append("    <link rel=\"alternate\" type=\"text/html\" href=\"./#incident-").append(i.id())
                    .append("\"/>\n")
                    .append("    <title>").append(Text.xml(i.name())).append("</title>\n")
                    .append("    <content type=\"html\">").append(Text.xml(content(i))).append("</content>\n")
                    .append("  </entry>\n");
        }
        x.append("</feed>\n");
        return x.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The updates as HTML, which the feed carries escaped (type="html"): escaped once here, once by the caller. */
    private static String content(Incident i) {
        StringBuilder h = new StringBuilder();
        for (IncidentUpdate u : i.updates().reversed()) {
            h.append("<p><small>").append(StatusHtml.displayTime(u.createdAt())).append("</small><br>")
                    .append("<strong>").append(Text.html(u.status().label())).append("</strong> - ")
                    .append(Text.html(u.body())).append("</p>");
        }
        return h.toString();
    }
}
