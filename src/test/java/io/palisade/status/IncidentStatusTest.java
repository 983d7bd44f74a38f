package io.palisade.status;

import static io.palisade.status.IncidentStatus.IDENTIFIED;
import static io.palisade.status.IncidentStatus.INVESTIGATING;
import static io.palisade.status.IncidentStatus.MONITORING;
import static io.palisade.status.IncidentStatus.POSTMORTEM;
import static io.palisade.status.IncidentStatus.RESOLVED;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The incident state machine: every pair of statuses, legal or not, as the class comment draws it. */
class IncidentStatusTest {
    @ParameterizedTest
    @EnumSource(value = IncidentStatus.class, names = {"INVESTIGATING", "IDENTIFIED", "MONITORING"})
    void anOpenIncident_movesAmongTheOpenStatusesOrResolves_butTakesNoPostmortem(IncidentStatus from) {
        assertThat(from.next()).containsExactlyInAnyOrder(INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED);
        assertThat(from.canMoveTo(POSTMORTEM)).isFalse();
        assertThat(from.isOpen()).isTrue();
    }

    @Test
    void aResolvedIncident_onlyTakesAPostmortem() {
        assertThat(RESOLVED.next()).containsExactly(POSTMORTEM);
        for (IncidentStatus open : IncidentStatus.open()) {
            assertThat(RESOLVED.canMoveTo(open)).as(open.wire()).isFalse();
        }
        assertThat(RESOLVED.canMoveTo(RESOLVED)).isFalse();
        assertThat(RESOLVED.isOpen()).isFalse();
    }

    @Test
    void aPostmortem_mayOnlyBeReplaced() {
        assertThat(POSTMORTEM.next()).containsExactly(POSTMORTEM);
        assertThat(POSTMORTEM.isOpen()).isFalse();
    }

    @Test
    void everyPair_isLegalExactlyWhenTheTableSaysSo() {
        Set<IncidentStatus> open = EnumSet.of(INVESTIGATING, IDENTIFIED, MONITORING);
        for (IncidentStatus from : IncidentStatus.values()) {
            for (IncidentStatus to : IncidentStatus.values()) {
                boolean legal = open.contains(from) ? to != POSTMORTEM : to == POSTMORTEM;
                assertThat(from.canMoveTo(to)).as("%s -> %s", from, to).isEqualTo(legal);
            }
        }
    }

    @Test
    void wireNames_areStatuspages() {
        assertThat(IncidentStatus.values()).extracting(IncidentStatus::wire)
                .containsExactly("investigating", "identified", "monitoring", "resolved", "postmortem");
        assertThat(IncidentStatus.fromWire("monitoring")).contains(MONITORING);
        assertThat(IncidentStatus.fromWire("Monitoring")).isEmpty();
        assertThat(ComponentStatus.values()).extracting(ComponentStatus::wire).containsExactly("operational",
                "under_maintenance", "degraded_performance", "partial_outage", "major_outage");
        assertThat(Impact.values()).extracting(Impact::wire).containsExactly("none", "minor", "major", "critical");
    }
}
