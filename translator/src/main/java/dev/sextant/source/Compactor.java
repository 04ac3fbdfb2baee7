package dev.sextant.source;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shrinks a fabric8 model object graph that will only be read from now on. fabric8 models start
 * every list field as an empty {@code ArrayList} and every object with an empty
 * {@code additionalProperties} map, so a reduced Pod of a dozen model objects carried some thirty
 * empty lists and a dozen empty maps (about 1.4 kB). Here empty lists and maps become the shared
 * immutable empty ones, and other {@code ArrayList}s are trimmed to their size.
 *
 * <p>Equality is unchanged ({@code List.equals} and {@code Map.equals} compare contents), so an
 * input collection still sees a reduced object equal to the one it holds as unchanged. A caller
 * that tried to add to a compacted empty list would get UnsupportedOperationException: the
 * objects are shared and must not be mutated anyway.
 *
 * <p>Threading: stateless but for a per-class cache of fields; safe for concurrent use.
 */
final class Compactor {
  private static final String MODEL_PACKAGE = "io.fabric8.";

  private static final ClassValue<Field[]> FIELDS = new ClassValue<>() {
    @Override
    protected Field[] computeValue(Class<?> type) {
      List<Field> out = new ArrayList<>();
      for (Class<?> c = type; c != null && c.getName().startsWith(MODEL_PACKAGE); c = c.getSuperclass()) {
        for (Field f : c.getDeclaredFields()) {
          if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive() && f.getType() != String.class) {
            f.setAccessible(true);
            out.add(f);
          }
        }
      }
      return out.toArray(new Field[0]);
    }
  };

  private Compactor() {}

  /** Compacts {@code root} and every model object reachable from it, in place; returns root. */
  static <T> T compact(T root) {
    compact(root, Collections.newSetFromMap(new IdentityHashMap<>()));
    return root;
  }

  private static void compact(Object o, Set<Object> seen) {
    if (o == null || !o.getClass().getName().startsWith(MODEL_PACKAGE) || o.getClass().isEnum() || !seen.add(o)) {
      return;
    }
    try {
      for (Field f : FIELDS.get(o.getClass())) {
        Object v = f.get(o);
        if (v instanceof List<?> list) {
          if (list.isEmpty()) {
            f.set(o, Collections.emptyList());
          } else {
            if (list instanceof ArrayList<?> a) {
              a.trimToSize();
            }
            list.forEach(item -> compact(item, seen));
          }
        } else if (v instanceof Map<?, ?> map) {
          if (map.isEmpty()) {
            f.set(o, Collections.emptyMap());
          } else {
            map.values().forEach(item -> compact(item, seen));
          }
        } else {
          compact(v, seen);
        }
      }
    } catch (IllegalAccessException | RuntimeException e) {
      // A model class we cannot reach into stays as it is: compaction only saves memory.
    }
  }
}
