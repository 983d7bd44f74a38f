package io.palisade.slo;

import java.util.List;

/**
 * The four conditions of the Google SRE workbook's multi-window, multi-burn-rate alerts (chapter 5, "Alerting on
 * SLOs"): each holds when the error budget burns faster than {@link #factor()} over both its long window and its
 * short one. The long window gives significance; the short one makes the alert stop soon after the burn stops.
 *
 * <table>
 *   <caption>The scheme</caption>
 *   <tr><th>severity</th><th>long</th><th>short</th><th>burn rate above</th><th>budget spent by the time it fires
 *       (30-day SLO)</th></tr>
 *   <tr><td>page</td><td>1h</td><td>5m</td><td>14.4</td><td>2%</td></tr>
 *   <tr><td>page</td><td>6h</td><td>30m</td><td>6</td><td>5%</td></tr>
 *   <tr><td>ticket</td><td>1d</td><td>2h</td><td>3</td><td>10%</td></tr>
 *   <tr><td>ticket</td><td>3d</td><td>6h</td><td>1</td><td>10%</td></tr>
 * </table>
 *
 * A page fires when either page row holds, a ticket when either ticket row does. The windows scale with the SLO's
 * ({@link BurnWindow}).
 */
public enum BurnRule {
    PAGE_FAST(true, BurnWindow.H1, BurnWindow.M5, 14.4),
    PAGE_SLOW(true, BurnWindow.H6, BurnWindow.M30, 6),
    TICKET_FAST(false, BurnWindow.D1, BurnWindow.H2, 3),
    TICKET_SLOW(false, BurnWindow.D3, BurnWindow.H6, 1);

    private final boolean page;
    private final BurnWindow longWindow;
    private final BurnWindow shortWindow;
    private final double factor;

    BurnRule(boolean page, BurnWindow longWindow, BurnWindow shortWindow, double factor) {
        this.page = page;
        this.longWindow = longWindow;
        this.shortWindow = shortWindow;
        this.factor = factor;
    }

    /** True for the page rows, false for the ticket rows. */
    public boolean page() {
        return page;
    }

    /** {@code page} or {@code ticket}. */
    public String severity() {
        return page ? "page" : "ticket";
    }

    public BurnWindow longWindow() {
        return longWindow;
    }

    public BurnWindow shortWindow() {
        return shortWindow;
    }

    /** The burn rate both windows must exceed. */
    public double factor() {
        return factor;
    }

    /** The rows of one severity. */
    public static List<BurnRule> of(boolean page) {
        return page ? List.of(PAGE_FAST, PAGE_SLOW) : List.of(TICKET_FAST, TICKET_SLOW);
    }
}
