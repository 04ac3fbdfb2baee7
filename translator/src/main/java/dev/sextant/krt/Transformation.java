package dev.sextant.krt;

import java.util.List;

/**
 * A pure function from one input to zero or more outputs. It reads other collections only through
 * the {@link Context}, keeps no state and does no I/O: it may run any number of times.
 */
@FunctionalInterface
public interface Transformation<I, O> {
  List<O> apply(Context ctx, I input);
}
