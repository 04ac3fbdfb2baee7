package dev.sextant.bench;

import dev.sextant.ambient.Ambient;
import dev.sextant.krt.Krt;
import dev.sextant.model.MeshSettings;
import dev.sextant.source.Inputs;

/**
 * Sextant's translation graph (inputs, {@link Ambient}) without a server, loaded with a
 * {@link ClusterModel}, for the JMH benchmarks: they call translation pieces directly on its
 * collections and indexes.
 */
final class BenchGraph implements AutoCloseable {
  final Krt krt = new Krt("bench");
  final Inputs inputs = Inputs.create(krt);
  final MeshSettings mesh = MeshSettings.defaults();
  final Ambient ambient = Ambient.build(krt, inputs, mesh);
  final ClusterModel model;

  BenchGraph(int pods, int services, int namespaces, int nodes, int policies) {
    model = new ClusterModel(namespaces, services, pods, nodes, policies, mesh.clusterId(), 42);
    ClusterModel.Objects o = model.objects(false);
    ClusterModel.write(o, inputs);
    inputs.markAllSynced();
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (ambient.workloads().size() < pods || ambient.services().size() < services
        || ambient.policies().authorizations().size() < policies || !krt.hasSynced()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("graph did not settle: " + krt.notSynced());
      }
      Sut.sleep(10);
    }
    Sut.sleep(500); // let recomputations triggered by the load finish
  }

  @Override
  public void close() {
    krt.close();
  }
}
