package dev.sextant.server.status;

import dev.sextant.krt.Collection;
import dev.sextant.krt.Event;
import dev.sextant.krt.Registration;
import dev.sextant.model.PolicyConversion;
import io.fabric8.istio.api.api.meta.v1alpha1.IstioCondition;
import io.fabric8.istio.api.api.meta.v1alpha1.IstioStatus;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the {@code ZtunnelAccepted} condition istiod writes on AuthorizationPolicies in ambient
 * mode (istio/istio {@code pilot/pkg/model/service.go WorkloadAuthorization.GetConditions}):
 * status True when the policy is sent to ztunnel, False when it is not; reason {@code Accepted}
 * ("attached to ztunnel") or the conversion's reason and message ({@code UnsupportedValue}, ...);
 * observedGeneration. Other conditions on the policy are kept. Policies that are not for ztunnel
 * (targetRef) get none.
 *
 * <p>Threading: writes happen on one writer thread, only while this replica leads
 * {@code istio-status-leader}; a write is skipped when the condition already says the same.
 */
public final class PolicyStatusWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyStatusWriter.class);
  static final String CONDITION = "ZtunnelAccepted";

  private final KubernetesClient client;
  private final Collection<PolicyConversion> conversions;
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "status-writer");
    t.setDaemon(true);
    return t;
  });
  private Registration registration;

  public PolicyStatusWriter(KubernetesClient client, Collection<PolicyConversion> conversions) {
    this.client = client;
    this.conversions = conversions;
  }

  /** Leadership gained: write every policy's condition, then follow changes. */
  public synchronized void start() {
    if (registration == null) {
      registration = conversions.subscribe(this::onBatch, true);
    }
  }

  /** Leadership lost: stop writing. */
  public synchronized void stop() {
    if (registration != null) {
      registration.close();
      registration = null;
    }
  }

  private void onBatch(List<Event<PolicyConversion>> batch) {
    for (Event<PolicyConversion> e : batch) {
      if (e.current() != null) {
        PolicyConversion c = e.current();
        writer.execute(() -> write(c));
      }
    }
  }

  /** The condition istiod writes for a conversion, or null when none is written. */
  static IstioCondition desired(PolicyConversion c, Instant now) {
    if (c.policy() == null && c.statusReason() == null) {
      return null;
    }
    IstioCondition cond = new IstioCondition();
    cond.setType(CONDITION);
    cond.setStatus(c.policy() != null ? "True" : "False");
    cond.setReason(c.statusReason() == null ? "Accepted" : c.statusReason());
    cond.setMessage(c.statusReason() == null ? "attached to ztunnel" : c.statusMessage());
    cond.setObservedGeneration(c.generation());
    cond.setLastTransitionTime(now.toString());
    return cond;
  }

  void write(PolicyConversion c) {
    IstioCondition want = desired(c, Instant.now());
    if (want == null) {
      return;
    }
    var resource = client.resources(AuthorizationPolicy.class).inNamespace(c.namespace()).withName(c.name());
    try {
      AuthorizationPolicy current = resource.get();
      if (current == null) {
        return;
      }
      IstioStatus status = current.getStatus() == null ? new IstioStatus() : current.getStatus();
      List<IstioCondition> conditions = new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions());
      for (IstioCondition existing : conditions) {
        if (CONDITION.equals(existing.getType()) && Objects.equals(existing.getStatus(), want.getStatus())
            && Objects.equals(existing.getReason(), want.getReason())
            && Objects.equals(existing.getMessage(), want.getMessage())
            && Objects.equals(existing.getObservedGeneration(), want.getObservedGeneration())) {
          return; // already says so
        }
      }
      conditions.removeIf(existing -> CONDITION.equals(existing.getType()));
      conditions.add(want);
      status.setConditions(conditions);
      current.setStatus(status);
      resource.updateStatus(current);
      log.debug("status written authorizationpolicy={}/{} reason={}", c.namespace(), c.name(), want.getReason());
    } catch (KubernetesClientException e) {
      log.warn("status write failed authorizationpolicy={}/{} code={} error={}", c.namespace(), c.name(),
          e.getCode(), e.getMessage());
    }
  }

  @Override
  public synchronized void close() {
    stop();
    writer.shutdownNow();
  }
}
