package dev.sextant.it;

import dev.sextant.server.KubernetesAccess;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Kubernetes RBAC as the API server decides it, for the requests these tests meet: request
 * attributes parsed from an HTTP request (kube-apiserver's {@code RequestInfoFactory}), and rules
 * matched as {@code rbac.RuleAllows} matches them. Enough to check the chart's roles and Sextant's
 * declared access against each other; no aggregation, no impersonation.
 */
final class Rbac {
  private Rbac() {}

  /** What the authorizer sees: a resource request (path null) or a non-resource one. */
  record Request(String verb, String apiGroup, String resource, String namespace, String name, String path) {
    static Request resource(String verb, String apiGroup, String resource, String namespace, String name) {
      return new Request(verb, apiGroup, resource, namespace, name, null);
    }

    static Request nonResource(String verb, String path) {
      return new Request(verb, null, null, null, null, path);
    }

    boolean isResource() {
      return path == null;
    }

    @Override
    public String toString() {
      return isResource()
          ? verb + " " + (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource
              + (namespace == null ? "" : " in " + namespace) + (name == null ? "" : " named " + name)
          : verb + " " + path;
    }
  }

  /** A rule in force: cluster-wide (namespace null, from a ClusterRoleBinding) or in one namespace. */
  record Grant(PolicyRule rule, String namespace, String from) {
    boolean allows(Request r) {
      if (!r.isResource()) {
        return namespace == null && has(rule.getVerbs(), r.verb()) && has(rule.getNonResourceURLs(), r.path());
      }
      return (namespace == null || namespace.equals(r.namespace()))
          && has(rule.getVerbs(), r.verb())
          && has(rule.getApiGroups(), r.apiGroup())
          && has(rule.getResources(), r.resource())
          && (rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
              || (r.name() != null && rule.getResourceNames().contains(r.name())));
    }

    private static boolean has(List<String> values, String v) {
      return values != null && (values.contains(v) || values.contains("*"));
    }
  }

  static boolean allowed(List<Grant> grants, Request r) {
    return grants.stream().anyMatch(g -> g.allows(r));
  }

  /** The rules bound to a service account by the rendered objects. */
  static List<Grant> grantsFor(List<HasMetadata> objects, String serviceAccount, String namespace) {
    Map<String, List<PolicyRule>> clusterRoles = new HashMap<>();
    Map<String, List<PolicyRule>> roles = new HashMap<>();
    for (HasMetadata o : objects) {
      if (o instanceof ClusterRole cr) {
        clusterRoles.put(cr.getMetadata().getName(), cr.getRules());
      } else if (o instanceof Role role) {
        roles.put(role.getMetadata().getNamespace() + "/" + role.getMetadata().getName(), role.getRules());
      }
    }
    List<Grant> out = new ArrayList<>();
    for (HasMetadata o : objects) {
      if (o instanceof ClusterRoleBinding b && bindsTo(b.getSubjects(), serviceAccount, namespace)) {
        add(out, rules(b.getRoleRef(), clusterRoles, roles, null), null, "ClusterRoleBinding " + name(b));
      } else if (o instanceof RoleBinding b && bindsTo(b.getSubjects(), serviceAccount, namespace)) {
        String ns = b.getMetadata().getNamespace();
        add(out, rules(b.getRoleRef(), clusterRoles, roles, ns), ns, "RoleBinding " + name(b));
      }
    }
    return out;
  }

  private static String name(HasMetadata o) {
    return o.getMetadata().getName();
  }

  private static void add(List<Grant> out, List<PolicyRule> rules, String namespace, String from) {
    if (rules == null) {
      throw new AssertionError(from + " refers to a role that is not rendered");
    }
    rules.forEach(r -> out.add(new Grant(r, namespace, from)));
  }

  private static List<PolicyRule> rules(RoleRef ref, Map<String, List<PolicyRule>> clusterRoles,
      Map<String, List<PolicyRule>> roles, String namespace) {
    return ref.getKind().equals("ClusterRole") ? clusterRoles.get(ref.getName())
        : roles.get(namespace + "/" + ref.getName());
  }

  private static boolean bindsTo(List<Subject> subjects, String serviceAccount, String namespace) {
    return subjects != null && subjects.stream().anyMatch(s -> "ServiceAccount".equals(s.getKind())
        && serviceAccount.equals(s.getName()) && namespace.equals(s.getNamespace()));
  }

  /** Sextant's declared access as grants: cluster-wide, or in the control plane's namespace. */
  static List<Grant> grantsOf(List<KubernetesAccess.Rule> rules, String namespace) {
    List<Grant> out = new ArrayList<>();
    for (KubernetesAccess.Rule r : rules) {
      PolicyRule rule = new PolicyRuleBuilder().withApiGroups(r.apiGroup()).withResources(r.resource())
          .withResourceNames(List.copyOf(r.resourceNames())).withVerbs(List.copyOf(r.verbs())).build();
      out.add(new Grant(rule, r.scope() == KubernetesAccess.Scope.CLUSTER ? null : namespace, r.usedBy()));
    }
    return out;
  }

  /** Every request a declared rule stands for: each verb, on each named object (or any). */
  static List<Request> requestsOf(KubernetesAccess.Rule r, String namespace) {
    List<Request> out = new ArrayList<>();
    String ns = r.scope() == KubernetesAccess.Scope.CLUSTER ? null : namespace;
    for (String verb : r.verbs()) {
      if (r.resourceNames().isEmpty()) {
        out.add(Request.resource(verb, r.apiGroup(), r.resource(), ns, null));
      } else {
        r.resourceNames().forEach(n -> out.add(Request.resource(verb, r.apiGroup(), r.resource(), ns, n)));
      }
    }
    return out;
  }

  /**
   * The attributes of an HTTP request to the API server: {@code /api/v1/...} and
   * {@code /apis/<group>/<version>/...} are resource requests (a list or watch that selects
   * {@code metadata.name} names that object), anything else is a non-resource URL.
   */
  static Request parse(String method, String target) {
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    Map<String, String> query = new HashMap<>();
    if (q >= 0) {
      for (String kv : target.substring(q + 1).split("&")) {
        int eq = kv.indexOf('=');
        query.put(decode(eq < 0 ? kv : kv.substring(0, eq)), eq < 0 ? "" : decode(kv.substring(eq + 1)));
      }
    }
    String[] parts = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    int rest;
    String group;
    if (parts.length >= 3 && parts[0].equals("api")) {
      group = "";
      rest = 2;
    } else if (parts.length >= 4 && parts[0].equals("apis")) {
      group = parts[1];
      rest = 3;
    } else {
      return Request.nonResource(method.toLowerCase(Locale.ROOT), path);
    }
    List<String> r = new ArrayList<>(Arrays.asList(parts).subList(rest, parts.length));
    String namespace = null;
    if (r.get(0).equals("namespaces") && r.size() >= 3) {
      namespace = r.get(1);
      r = r.subList(2, r.size());
    } else if (r.get(0).equals("namespaces") && r.size() == 2) {
      namespace = r.get(1); // the Namespace object itself
    }
    String resource = r.get(0);
    String name = r.size() > 1 ? r.get(1) : null;
    if (r.size() > 2) {
      resource = resource + "/" + r.get(2);
    }
    String verb = switch (method) {
      case "GET", "HEAD" -> name != null ? "get"
          : ("true".equals(query.get("watch")) || "1".equals(query.get("watch"))) ? "watch" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name != null ? "delete" : "deletecollection";
      default -> method.toLowerCase(Locale.ROOT);
    };
    if (name == null && (verb.equals("list") || verb.equals("watch"))) {
      String selector = query.getOrDefault("fieldSelector", "");
      for (String term : selector.split(",")) {
        if (term.startsWith("metadata.name=")) {
          name = term.substring("metadata.name=".length());
        }
      }
    }
    return Request.resource(verb, group, resource, namespace, name);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
