package dev.sextant.bench;

import dev.sextant.model.WorkloadInfo;
import dev.sextant.xds.AddressGenerator;
import dev.sextant.xds.XdsResource;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * {@code AddressGenerator.workloadResource}, package-private in the translator, made callable
 * for the benchmarks (read, never changed), so they measure Sextant's own code and not a copy.
 */
final class AddressSerializationBenchAccess {
  private static final MethodHandle WORKLOAD_RESOURCE = handle();

  private AddressSerializationBenchAccess() {}

  private static MethodHandle handle() {
    try {
      Method m = AddressGenerator.class.getDeclaredMethod("workloadResource", WorkloadInfo.class);
      m.setAccessible(true);
      return MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(XdsResource.class, WorkloadInfo.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  static XdsResource workloadResource(WorkloadInfo w) {
    try {
      return (XdsResource) WORKLOAD_RESOURCE.invokeExact(w);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
