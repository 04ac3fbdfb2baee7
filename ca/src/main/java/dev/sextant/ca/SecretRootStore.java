package dev.sextant.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The root in the {@code istio-ca-secret} Secret of the control plane's namespace, in istiod's
 * layout: type {@code istio.io/ca-root}; {@code ca-cert.pem}, {@code ca-key.pem}, {@code root-cert.pem}
 * (= the root), {@code cert-chain.pem} and {@code key.pem} (empty); plus {@code istio-generated}
 * when the Secret is named {@code cacerts} (istio/istio {@code BuildSecret}). An update, as
 * istiod's rotator, changes only {@code ca-cert.pem} and {@code ca-key.pem}, with optimistic
 * concurrency on the resource version.
 */
public final class SecretRootStore implements RootStore {
  public static final String ISTIO_CA_SECRET = "istio-ca-secret";
  public static final String CACERTS_SECRET = "cacerts";
  static final String SECRET_TYPE = "istio.io/ca-root";

  private final KubernetesClient client;
  private final String namespace;
  private final String name;

  public SecretRootStore(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  @Override
  public Optional<StoredRoot> load() throws IOException {
    Secret s = get();
    if (s == null) {
      return Optional.empty();
    }
    String cert = data(s, CA_CERT);
    String key = data(s, CA_KEY);
    if (cert.isEmpty() || key.isEmpty()) {
      throw new IOException("Secret " + namespace + "/" + name + " has no " + CA_CERT + " or " + CA_KEY);
    }
    return Optional.of(new StoredRoot(cert, key));
  }

  @Override
  public boolean create(StoredRoot root) throws IOException {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(CERT_CHAIN, b64(""));
    data.put(KEY, b64(""));
    data.put(ROOT_CERT, b64(root.caCertPem()));
    data.put(CA_CERT, b64(root.caCertPem()));
    data.put(CA_KEY, b64(root.caKeyPem()));
    if (CACERTS_SECRET.equals(name)) {
      data.put(ISTIO_GENERATED, b64(""));
    }
    Secret s = new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withType(SECRET_TYPE).withData(data).build();
    try {
      client.secrets().inNamespace(namespace).resource(s).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw new IOException("cannot create Secret " + namespace + "/" + name + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void update(StoredRoot root) throws IOException {
    for (int attempt = 0; attempt < 5; attempt++) {
      Secret s = get();
      if (s == null) {
        throw new IOException("Secret " + namespace + "/" + name + " does not exist");
      }
      Map<String, String> data = new LinkedHashMap<>(s.getData() == null ? Map.of() : s.getData());
      data.put(CA_CERT, b64(root.caCertPem()));
      data.put(CA_KEY, b64(root.caKeyPem()));
      s.setData(data);
      try {
        client.secrets().inNamespace(namespace).resource(s).update();
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw new IOException("cannot update Secret " + namespace + "/" + name + ": " + e.getMessage(), e);
        }
      }
    }
    throw new IOException("cannot update Secret " + namespace + "/" + name + ": conflicts on every attempt");
  }

  private Secret get() throws IOException {
    try {
      return client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw new IOException("cannot read Secret " + namespace + "/" + name + ": " + e.getMessage(), e);
    }
  }

  static String data(Secret s, String key) {
    if (s.getData() != null && s.getData().get(key) != null) {
      return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
    }
    if (s.getStringData() != null && s.getStringData().get(key) != null) {
      return s.getStringData().get(key);
    }
    return "";
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String describe() {
    return "Secret " + namespace + "/" + name;
  }
}
