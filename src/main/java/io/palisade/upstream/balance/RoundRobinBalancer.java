package io.palisade.upstream.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

final class RoundRobinBalancer <E extends Target> implements Balancer<E> {
    private final AtomicLong next = new AtomicLong();

    @Override
    public E pick(List<E> available, String hashKey) {
        return available.get(index(available.size()));
    }

    @Override
    public E pickOther(List<E> available, String hashKey, E avoid) {
        int n = available.size();
        int i = index(n);
        E e = available.get(i);
        return n > 1 && e.equals(avoid) ? available.get((i + 1) % n) : e;
    }

    private int index(int n) {
        return (int) Math.floorMod(next.getAndIncrement(), (long) n);
    }
}
