package io.palisade.upstream.balance;

import io.palisade.upstream.Endpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

final class RoundRobinBalancer implements Balancer {
    private final AtomicLong next = new AtomicLong();

    @Override
    public Endpoint pick(List<Endpoint> available, String hashKey) {
        return available.get(index(available.size()));
    }

    @Override
    public Endpoint pickOther(List<Endpoint> available, String hashKey, Endpoint avoid) {
        int n = available.size();
        int i = index(n);
        Endpoint e = available.get(i);
        return n > 1 && e.equals(avoid) ? available.get((i + 1) % n) : e;
    }

    private int index(int n) {
        return (int) Math.floorMod(next.getAndIncrement(), (long) n);
    }
}
