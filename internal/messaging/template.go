package messaging

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/internal/apperr"
)

// Template text names its variables as {{name}}: a letter or underscore,
// then letters, digits or underscores, with optional spaces inside the braces.
var (
	variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	placeholder  = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
)

// TemplateVariables returns the variables text uses, in order of first use,
// or an error naming what is malformed: a placeholder that is not a name,
// or braces that open or close no placeholder.
func TemplateVariables(text string) ([]string, error) {
	var names []string
	rest := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		if !variableName.MatchString(name) {
			names = append(names, "\x00"+name)
		} else if !slices.Contains(names, name) {
			names = append(names, name)
		}
		return ""
	})
	for _, n := range names {
		if strings.HasPrefix(n, "\x00") {
			return nil, fmt.Errorf("{{%s}} is not a variable name (letters, digits, _)", n[1:])
		}
	}
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return nil, fmt.Errorf("unbalanced {{ or }}")
	}
	return names, nil
}

// CheckTemplate validates a template when it is saved: its declared
// variables are names without repeats, and its subject and body use only
// declared ones.
func CheckTemplate(subject, body string, declared []string) error {
	for i, v := range declared {
		if !variableName.MatchString(v) {
			return apperr.Invalid("variables", "%q is not a variable name (letters, digits, _; at most 64)", v)
		}
		if slices.Contains(declared[:i], v) {
			return apperr.Invalid("variables", "%q is declared twice", v)
		}
	}
	for field, text := range map[string]string{"subject": subject, "body": body} {
		used, err := TemplateVariables(text)
		if err != nil {
			return apperr.Invalid(field, "%v", err)
		}
		for _, u := range used {
			if !slices.Contains(declared, u) {
				return apperr.Invalid(field, "{{%s}} is not a declared variable; declare it in variables (declared: %v)", u, declared)
			}
		}
	}
	return nil
}

// RenderTemplate fills the placeholders of text from values. Every declared
// variable must have a value and no other value may be given, so a message
// never goes out with a gap or a typo in it.
func RenderTemplate(text string, declared []string, values map[string]any) (string, error) {
	for name := range values {
		if !slices.Contains(declared, name) {
			return "", apperr.Invalid("variables", "the template has no variable %q (it has %v)", name, declared)
		}
	}
	strs := make(map[string]string, len(declared))
	for _, name := range declared {
		v, ok := values[name]
		if !ok || v == nil {
			return "", apperr.Invalid("variables", "the template needs a value for %q", name)
		}
		switch v := v.(type) {
		case string:
			strs[name] = v
		case fmt.Stringer:
			strs[name] = v.String()
		default:
			strs[name] = fmt.Sprint(v)
		}
	}
	if _, err := TemplateVariables(text); err != nil {
		return "", apperr.Invalid("templateID", "the template is malformed: %v", err)
	}
	// One pass: a value that itself contains {{x}} is not expanded again.
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		return strs[placeholder.FindStringSubmatch(m)[1]]
	}), nil
}
