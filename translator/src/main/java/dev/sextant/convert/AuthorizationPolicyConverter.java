package dev.sextant.convert;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.sextant.ambient.IpAddresses;
import dev.sextant.api.security.Action;
import dev.sextant.api.security.Address;
import dev.sextant.api.security.Authorization;
import dev.sextant.api.security.Group;
import dev.sextant.api.security.Match;
import dev.sextant.api.security.Rules;
import dev.sextant.api.security.Scope;
import dev.sextant.api.security.ServiceAccountMatch;
import dev.sextant.api.security.StringMatch;
import io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyAction;
import io.fabric8.istio.api.api.security.v1beta1.Condition;
import io.fabric8.istio.api.api.security.v1beta1.Operation;
import io.fabric8.istio.api.api.security.v1beta1.Rule;
import io.fabric8.istio.api.api.security.v1beta1.RuleFrom;
import io.fabric8.istio.api.api.security.v1beta1.RuleTo;
import io.fabric8.istio.api.api.security.v1beta1.Source;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * An AuthorizationPolicy to the {@code istio.security.Authorization} ztunnel enforces, as istiod
 * converts it (istio/istio {@code pilot/pkg/serviceregistry/ambient/authorization.go}
 * {@code convertAuthorizationPolicy}, {@code handleRule}; wds-spec §4.5). A pure function.
 *
 * <p>Model: each rule becomes at most one group whose clauses are, in order, the {@code to}
 * operations, the {@code from} sources, and one clause per {@code when} condition. HTTP attributes
 * cannot be enforced by ztunnel: under ALLOW a rule that has any is dropped (stricter than asked);
 * under DENY only those attributes are dropped.
 *
 * <p>Failure (beyond istiod): istiod relies on its validation webhook and silently drops values it
 * cannot parse (a malformed CIDR, a port that is not a number), which can turn a narrow rule into a
 * broad one. Sextant runs no webhook, so a rule holding such a value is never widened: under ALLOW
 * the rule is dropped; under DENY it becomes an empty group, which denies every connection the policy
 * selects. Either way the status says which values were invalid.
 */
public final class AuthorizationPolicyConverter {
  static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";
  private static final Set<String> L4_WHEN_KEYS =
      Set.of("source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port");

  private AuthorizationPolicyConverter() {}

  /** Conversion settings, from istiod's feature flags. */
  public record Options(String rootNamespace, boolean dryRunEnabled) {
    public static Options defaults(String rootNamespace) {
      return new Options(rootNamespace, false);
    }
  }

  /**
   * The converted policy (null when the policy is not for ztunnel) and the status istiod would
   * report for it (null when accepted without remarks).
   */
  public record Result(Authorization policy, PolicyStatus status) {}

  /** A status condition reason and message, as istiod writes on the policy. */
  public record PolicyStatus(String reason, String message) {}

  public static Result convert(AuthorizationPolicy ap, Options options) {
    String ns = ap.getMetadata().getNamespace() == null ? "" : ap.getMetadata().getNamespace();
    String name = ap.getMetadata().getName();
    var spec = ap.getSpec() == null ? new io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy() : ap.getSpec();

    boolean dryRun = false;
    Map<String, String> annotations = ap.getMetadata().getAnnotations();
    String dryRunValue = annotations == null ? null : annotations.get(DRY_RUN_ANNOTATION);
    if (dryRunValue != null && !dryRunValue.isEmpty()) {
      dryRun = GoBool.parse(dryRunValue);
    }
    if (dryRun && !options.dryRunEnabled()) {
      return new Result(null, new PolicyStatus("UnsupportedValue", "found policy \"" + ns + "/" + name
          + "\" using dry-run annotation, but support for ambient dry-run authorizationPolicies isn't enabled"));
    }
    if (spec.getTargetRef() != null || (spec.getTargetRefs() != null && !spec.getTargetRefs().isEmpty())) {
      return new Result(null, null); // for waypoints and gateways, not ztunnel
    }
    Scope scope = Scope.WORKLOAD_SELECTOR;
    if (spec.getSelector() == null) {
      scope = ns.equals(options.rootNamespace()) ? Scope.GLOBAL : Scope.NAMESPACE;
    }
    AuthorizationPolicyAction apAction = spec.getAction() == null ? AuthorizationPolicyAction.ALLOW : spec.getAction();
    Action action;
    switch (apAction) {
      case ALLOW -> action = Action.ALLOW;
      case DENY -> action = Action.DENY;
      default -> {
        return new Result(null, new PolicyStatus("UnsupportedValue",
            "ztunnel does not support the " + apAction.name() + " action"));
      }
    }
    Authorization.Builder out = Authorization.newBuilder()
        .setName(name)
        .setNamespace(ns)
        .setScope(scope)
        .setAction(action)
        .setDryRun(dryRun);

    Set<String> httpAttributes = new TreeSet<>();
    Set<String> invalid = new TreeSet<>();
    for (Rule rule : spec.getRules() == null ? List.<Rule>of() : spec.getRules()) {
      RuleResult r = handleRule(action, rule, ns);
      httpAttributes.addAll(r.httpAttributes());
      invalid.addAll(r.invalid());
      if (!r.invalid().isEmpty()) {
        if (action == Action.DENY) {
          out.addGroups(Group.getDefaultInstance()); // fail closed: deny all it selects
        }
        continue;
      }
      if (r.rules() != null) {
        out.addGroups(Group.newBuilder().addAllRules(r.rules()));
      }
    }
    Authorization policy = out.build();
    List<String> messages = new ArrayList<>();
    if (!httpAttributes.isEmpty()) {
      String boilerplate;
      if (action == Action.DENY && !hasEffectiveRules(policy)) {
        boilerplate = "After omitting unsupported HTTP attributes, this DENY policy has no enforceable rules at"
            + " ztunnel and will have no effect. Deploy a waypoint proxy and use a targetRef to enforce this policy.";
      } else if (action == Action.DENY) {
        boilerplate = "DENY policy with HTTP attributes is enforced without the HTTP rules. "
            + "This will be more restrictive than requested.";
      } else {
        boilerplate = "Within an ALLOW policy, rules matching HTTP attributes are omitted. "
            + "This will be more restrictive than requested.";
      }
      messages.add("ztunnel does not support HTTP attributes (found: " + String.join(", ", httpAttributes)
          + "). In ambient mode you must use a waypoint proxy to enforce HTTP rules. " + boilerplate);
    }
    if (!invalid.isEmpty()) {
      messages.add("invalid values (" + String.join(", ", invalid) + "): "
          + (action == Action.DENY ? "the rules holding them deny every connection this policy selects."
              : "the rules holding them are omitted."));
    }
    return new Result(policy, messages.isEmpty() ? null
        : new PolicyStatus(invalid.isEmpty() ? "UnsupportedValue" : "InvalidValue", String.join(" ", messages)));
  }

  private record RuleResult(List<Rules> rules, Set<String> httpAttributes, Set<String> invalid) {}

  private static RuleResult handleRule(Action action, Rule rule, String ruleNamespace) {
    Set<String> http = new TreeSet<>();
    Set<String> invalid = new TreeSet<>();
    List<Match> toMatches = new ArrayList<>();
    for (RuleTo to : orEmpty(rule.getTo())) {
      Operation op = to.getOperation() == null ? new Operation() : to.getOperation();
      addIfPresent(http, "hosts", op.getHosts());
      addIfPresent(http, "notHosts", op.getNotHosts());
      addIfPresent(http, "methods", op.getMethods());
      addIfPresent(http, "notMethods", op.getNotMethods());
      addIfPresent(http, "paths", op.getPaths());
      addIfPresent(http, "notPaths", op.getNotPaths());
      toMatches.add(Match.newBuilder()
          .addAllDestinationPorts(ports(op.getPorts(), invalid))
          .addAllNotDestinationPorts(ports(op.getNotPorts(), invalid))
          .build());
    }
    List<Match> fromMatches = new ArrayList<>();
    for (RuleFrom from : orEmpty(rule.getFrom())) {
      Source s = from.getSource() == null ? new Source() : from.getSource();
      addIfPresent(http, "remoteIpBlocks", s.getRemoteIpBlocks());
      addIfPresent(http, "notRemoteIpBlocks", s.getNotRemoteIpBlocks());
      addIfPresent(http, "requestPrincipals", s.getRequestPrincipals());
      addIfPresent(http, "notRequestPrincipals", s.getNotRequestPrincipals());
      fromMatches.add(Match.newBuilder()
          .addAllSourceIps(addresses(s.getIpBlocks(), invalid))
          .addAllNotSourceIps(addresses(s.getNotIpBlocks(), invalid))
          .addAllNamespaces(strings(s.getNamespaces()))
          .addAllNotNamespaces(strings(s.getNotNamespaces()))
          .addAllServiceAccounts(serviceAccounts(s.getServiceAccounts(), ruleNamespace))
          .addAllNotServiceAccounts(serviceAccounts(s.getNotServiceAccounts(), ruleNamespace))
          .addAllPrincipals(strings(s.getPrincipals()))
          .addAllNotPrincipals(strings(s.getNotPrincipals()))
          .build());
    }
    List<Rules> rules = new ArrayList<>();
    if (!toMatches.isEmpty()) {
      rules.add(Rules.newBuilder().addAllMatches(toMatches).build());
    }
    if (!fromMatches.isEmpty()) {
      rules.add(Rules.newBuilder().addAllMatches(fromMatches).build());
    }
    for (Condition when : orEmpty(rule.getWhen())) {
      String key = when.getKey() == null ? "" : when.getKey();
      if (!L4_WHEN_KEYS.contains(key)) {
        http.add(key);
      }
      Match.Builder m = Match.newBuilder();
      switch (key) {
        case "source.namespace" -> m.addAllNamespaces(strings(when.getValues()))
            .addAllNotNamespaces(strings(when.getNotValues()));
        case "source.principal" -> m.addAllPrincipals(strings(when.getValues()))
            .addAllNotPrincipals(strings(when.getNotValues()));
        case "source.ip" -> m.addAllSourceIps(addresses(when.getValues(), invalid))
            .addAllNotSourceIps(addresses(when.getNotValues(), invalid));
        case "destination.port" -> m.addAllDestinationPorts(ports(when.getValues(), invalid))
            .addAllNotDestinationPorts(ports(when.getNotValues(), invalid));
        case "destination.ip" -> m.addAllDestinationIps(addresses(when.getValues(), invalid))
            .addAllNotDestinationIps(addresses(when.getNotValues(), invalid));
        default -> { }
      }
      rules.add(Rules.newBuilder().addMatches(m).build());
    }
    if (action == Action.ALLOW && !http.isEmpty()) {
      rules = null; // an ALLOW rule with HTTP attributes never matches at ztunnel
    }
    return new RuleResult(rules, http, invalid);
  }

  /** Groups that can fire: a group with no clauses, or one whose every clause has a non-empty match. */
  static boolean hasEffectiveRules(Authorization policy) {
    for (Group g : policy.getGroupsList()) {
      if (g.getRulesCount() == 0) {
        return true;
      }
      boolean effective = true;
      for (Rules clause : g.getRulesList()) {
        boolean nonEmpty = clause.getMatchesList().stream().anyMatch(m -> !m.equals(Match.getDefaultInstance()));
        if (!nonEmpty) {
          effective = false;
          break;
        }
      }
      if (effective) {
        return true;
      }
    }
    return false;
  }

  private static void addIfPresent(Set<String> found, String name, List<String> values) {
    if (values != null && !values.isEmpty()) {
      found.add(name);
    }
  }

  /** {@code *} presence; {@code *x} suffix; {@code x*} prefix; else exact. */
  static List<StringMatch> strings(List<String> values) {
    List<StringMatch> out = new ArrayList<>();
    for (String v : orEmpty(values)) {
      StringMatch.Builder m = StringMatch.newBuilder();
      if (v.equals("*")) {
        m.setPresence(Empty.getDefaultInstance());
      } else if (v.startsWith("*")) {
        m.setSuffix(v.substring(1));
      } else if (v.endsWith("*")) {
        m.setPrefix(v.substring(0, v.length() - 1));
      } else {
        m.setExact(v);
      }
      out.add(m.build());
    }
    return out;
  }

  /** {@code ns/sa}, or a bare {@code sa} in the policy's namespace. */
  static List<ServiceAccountMatch> serviceAccounts(List<String> values, String policyNamespace) {
    List<ServiceAccountMatch> out = new ArrayList<>();
    for (String v : orEmpty(values)) {
      int slash = v.indexOf('/');
      out.add(slash >= 0
          ? ServiceAccountMatch.newBuilder().setNamespace(v.substring(0, slash)).setServiceAccount(v.substring(slash + 1)).build()
          : ServiceAccountMatch.newBuilder().setNamespace(policyNamespace).setServiceAccount(v).build());
    }
    return out;
  }

  /** Decimal ports up to 65535; anything else is recorded as invalid. */
  static List<Integer> ports(List<String> values, Set<String> invalid) {
    return parseAll(values, invalid, v -> {
      if (v.isEmpty() || !v.chars().allMatch(Character::isDigit) || v.length() > 10) {
        return null;
      }
      long p = Long.parseLong(v);
      return p > 65535 ? null : (int) p;
    });
  }

  /** IPs as full-length prefixes, CIDRs as written (address not masked); empty strings ignored. */
  static List<Address> addresses(List<String> values, Set<String> invalid) {
    List<String> nonEmpty = orEmpty(values).stream().filter(v -> !v.isEmpty()).toList();
    return parseAll(nonEmpty, invalid, v -> {
      int slash = v.indexOf('/');
      byte[] ip = IpAddresses.parse(slash < 0 ? v : v.substring(0, slash));
      if (ip == null) {
        return null;
      }
      int bits = ip.length * 8;
      if (slash >= 0) {
        String b = v.substring(slash + 1);
        if (b.isEmpty() || b.length() > 3 || !b.chars().allMatch(Character::isDigit)
            || (b.length() > 1 && b.charAt(0) == '0')) {
          return null;
        }
        int n = Integer.parseInt(b);
        if (n > bits) {
          return null;
        }
        bits = n;
      }
      return Address.newBuilder().setAddress(ByteString.copyFrom(ip)).setLength(bits).build();
    });
  }

  private static <T> List<T> parseAll(List<String> values, Set<String> invalid, Function<String, T> parse) {
    List<T> out = new ArrayList<>();
    for (String v : orEmpty(values)) {
      T t = parse.apply(v);
      if (t == null) {
        invalid.add("\"" + v + "\"");
      } else {
        out.add(t);
      }
    }
    return out;
  }

  static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }
}
