package io.palisade.alert;

import java.time.Duration;
import java.util.Map;

/**
 * One rule's verdict on one subject at one evaluation, with what an alert would say and when to act.
 *
 * @param raiseAfter how long the condition must hold before the alert fires (0: at the first evaluation)
 * @param clearAfter how long it must be false before a firing alert resolves
 * @param staleAfter how long a firing alert may go without signal before it resolves as unknowable
 */
record Observation(String name, Map<String, String> labels, Severity severity, Check check, String summary,
                   Map<String, Object> evidence, Duration raiseAfter, Duration clearAfter, Duration staleAfter) {
    String key() {
        return Alert.key(name, severity, labels);
    }
}
