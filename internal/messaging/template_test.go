package messaging

import (
	"strings"
	"testing"
)

func TestTemplateVariables(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string
		bad  bool
	}{
		{text: "Hello {{name}}, order {{ order_id }} for {{name}}", want: "name order_id"},
		{text: "no variables, {single} braces", want: ""},
		{text: "{{ 1x }}", bad: true},
		{text: "{{}}", bad: true},
		{text: "open {{name", bad: true},
		{text: "close name}}", bad: true},
	} {
		got, err := TemplateVariables(tc.text)
		if (err != nil) != tc.bad {
			t.Errorf("%q: error %v; want error %v", tc.text, err, tc.bad)
			continue
		}
		if !tc.bad && strings.Join(got, " ") != tc.want {
			t.Errorf("%q: variables %v; want %s", tc.text, got, tc.want)
		}
	}
}

// FuzzRenderTemplate: whatever the template and values, rendering a
// template that passed CheckTemplate never fails when every declared
// variable has a value, leaves no placeholder behind unless a value brought
// it, and puts every value in.
func FuzzRenderTemplate(f *testing.F) {
	f.Add("Hello {{name}}, your order {{ order }} shipped.", "name", "order", "Ada", "A-17")
	f.Add("{{a}}{{b}}{{a}}", "a", "b", "{{b}}", "}}")
	f.Add("plain", "x", "y", "", "")
	f.Add("{{x}", "x", "y", "1", "2")
	f.Fuzz(func(t *testing.T, text, v1, v2, val1, val2 string) {
		declared := []string{v1, v2}
		if v1 == v2 {
			declared = declared[:1]
		}
		if CheckTemplate("", text, declared) != nil {
			// Refused when saved: rendering it must fail cleanly, not panic.
			_, _ = RenderTemplate(text, declared, map[string]any{v1: val1, v2: val2})
			return
		}
		values := map[string]any{v1: val1, v2: val2}
		out, err := RenderTemplate(text, declared, values)
		if err != nil {
			t.Fatalf("RenderTemplate(%q, %v, %v): %v", text, declared, values, err)
		}
		used, _ := TemplateVariables(text)
		for _, u := range used {
			if !strings.Contains(out, values[u].(string)) {
				t.Fatalf("%q rendered %q without the value %q of %s", text, out, values[u], u)
			}
		}
		if !strings.Contains(val1+val2, "{") && !strings.Contains(val1+val2, "}") {
			if left, err := TemplateVariables(out); err != nil || len(left) > 0 {
				t.Fatalf("%q rendered %q, which still has placeholders %v (%v)", text, out, left, err)
			}
		}
		if _, err := RenderTemplate(text, declared, map[string]any{v1: val1}); len(declared) == 2 && err == nil {
			t.Fatalf("rendering without a value for %q succeeded", v2)
		}
		if _, err := RenderTemplate(text, declared, map[string]any{v1: val1, v2: val2, "zz_unknown": "x"}); err == nil {
			t.Fatal("rendering with an unknown variable succeeded")
		}
	})
}
