package dev.sextant.source;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorsTest {
  static LabelSelector expr(String key, String op, String... values) {
    return new LabelSelectorBuilder().addNewMatchExpression().withKey(key).withOperator(op).withValues(values)
        .endMatchExpression().build();
  }

  @Test
  void matches_matchLabelsAndExpressions_allMustHold() {
    LabelSelector s = new LabelSelectorBuilder().addToMatchLabels("env", "prod")
        .addNewMatchExpression().withKey("tier").withOperator("In").withValues("web", "api").endMatchExpression()
        .build();
    assertTrue(LabelSelectors.matches(s, Map.of("env", "prod", "tier", "api")));
    assertFalse(LabelSelectors.matches(s, Map.of("env", "prod", "tier", "db")));
    assertFalse(LabelSelectors.matches(s, Map.of("tier", "api")));
  }

  @Test
  void matches_operators_asKubernetes() {
    assertTrue(LabelSelectors.matches(expr("a", "NotIn", "x"), Map.of()), "NotIn holds for an absent key");
    assertFalse(LabelSelectors.matches(expr("a", "NotIn", "x"), Map.of("a", "x")));
    assertTrue(LabelSelectors.matches(expr("a", "Exists"), Map.of("a", "")));
    assertFalse(LabelSelectors.matches(expr("a", "Exists"), Map.of()));
    assertTrue(LabelSelectors.matches(expr("a", "DoesNotExist"), Map.of("b", "1")));
    assertFalse(LabelSelectors.matches(expr("a", "In", "x"), null));
  }

  @Test
  void matches_emptySelectorEverything_nullNothing() {
    assertTrue(LabelSelectors.matches(new LabelSelector(), Map.of()));
    assertFalse(LabelSelectors.matches(null, Map.of("a", "b")));
  }

  @Test
  void anyMatches_noSelectorsSelectsAll_otherwiseAnyOne() {
    assertTrue(LabelSelectors.anyMatches(List.of(), Map.of()));
    List<LabelSelector> two = List.of(expr("a", "Exists"), expr("b", "Exists"));
    assertTrue(LabelSelectors.anyMatches(two, Map.of("b", "1")));
    assertFalse(LabelSelectors.anyMatches(two, Map.of("c", "1")));
  }

  @Test
  void validate_badOperatorOrValues_rejected() {
    assertThrows(IllegalArgumentException.class, () -> LabelSelectors.validate(expr("a", "Equals", "x")));
    assertThrows(IllegalArgumentException.class, () -> LabelSelectors.validate(expr("a", "In")));
    assertThrows(IllegalArgumentException.class, () -> LabelSelectors.validate(expr("a", "Exists", "x")));
    LabelSelectors.validate(expr("a", "In", "x"));
  }
}
