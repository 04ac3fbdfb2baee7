package dev.sextant.krt;

/** A value that knows its own collection key; the default key function of derived collections. */
public interface Keyed {
  String key();
}
