package dev.sextant.server;

import dev.sextant.model.MeshSettings;
import dev.sextant.source.KubernetesSource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the mesh config ConfigMap ({@link MeshConfigFile#configMapName}) after startup, as
 * istiod's {@code kubemesh.NewConfigMapWatcher} does: a change of {@code discoverySelectors} is
 * applied at once (every input re-decides its objects); a change of the settings the translation
 * graph was built with ({@code trustDomain}, {@code rootNamespace}) is logged as needing a restart.
 * A ConfigMap that is deleted, or whose {@code mesh} key goes, means the defaults: no selectors.
 * A ConfigMap that cannot be read is logged and changes nothing.
 *
 * <p>Threading: informer callbacks run on the informer's serial executor.
 */
final class MeshConfigMapWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshConfigMapWatch.class);

  private final SharedIndexInformer<ConfigMap> informer;

  private MeshConfigMapWatch(SharedIndexInformer<ConfigMap> informer) {
    this.informer = informer;
  }

  /** Starts watching; {@code started} are the settings the translation graph was built with. */
  static MeshConfigMapWatch start(KubernetesClient client, String namespace, String revision,
      MeshSettings started, KubernetesSource source) {
    String name = MeshConfigFile.configMapName(revision);
    ResourceEventHandler<ConfigMap> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(ConfigMap cm) {
        apply(cm);
      }

      @Override
      public void onUpdate(ConfigMap oldCm, ConfigMap cm) {
        apply(cm);
      }

      @Override
      public void onDelete(ConfigMap cm, boolean unknown) {
        log.warn("mesh config ConfigMap {}/{} deleted: no discoverySelectors", namespace, name);
        source.setDiscoverySelectors(List.of());
      }

      private void apply(ConfigMap cm) {
        String text = cm.getData() == null ? null : cm.getData().get("mesh");
        MeshConfigFile.MeshConfig mc;
        try {
          mc = text == null ? new MeshConfigFile.MeshConfig(started, List.of()) : MeshConfigFile.parse(text, started);
        } catch (IllegalArgumentException e) {
          log.error("mesh config ConfigMap {}/{} key mesh {}: ignored", namespace, name, e.getMessage());
          return;
        }
        if (!mc.settings().equals(started)) {
          log.warn("mesh config ConfigMap {}/{} changed trustDomain or rootNamespace: restart to apply them",
              namespace, name);
        }
        source.setDiscoverySelectors(mc.discoverySelectors());
      }
    };
    SharedIndexInformer<ConfigMap> informer = client.configMaps().inNamespace(namespace)
        .withField("metadata.name", name).inform(handler, 0);
    return new MeshConfigMapWatch(informer);
  }

  @Override
  public void close() {
    informer.close();
  }
}
