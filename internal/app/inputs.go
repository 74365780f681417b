package app

import (
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/messaging"
)

// Input bounds, checked on every argument of every field before it runs
// (argumentChecker): strings, lists, Map values, filters, and the
// customer's contact details.
const (
	// MaxStringBytes is the longest string argument or input field.
	MaxStringBytes = 64 << 10
	// MaxListLength is the longest list argument or input field, far
	// below SQLite's limit of variables in one statement.
	MaxListLength = 1000
	// MaxMapDepth and MaxMapEntries bound a Map value (flowVariables,
	// externalIDs): how deeply objects and lists nest, and how many
	// entries they hold in all.
	MaxMapDepth   = 8
	MaxMapEntries = 1000
)

// input checks one argument or input field value of type typ at path.
func (c *argumentChecker) input(path string, typ *ast.Type, value any) error {
	if value == nil || typ == nil {
		return nil
	}
	if typ.Elem != nil {
		list, ok := value.([]any)
		if !ok {
			return c.input(path, typ.Elem, value) // a single value coerced to a list
		}
		if len(list) > MaxListLength {
			return apperr.New(apperr.LimitExceeded, "%s: at most %d items", path, MaxListLength).WithField(path)
		}
		for _, item := range list {
			if err := c.input(path, typ.Elem, item); err != nil {
				return err
			}
		}
		return nil
	}
	switch v := value.(type) {
	case string:
		if len(v) > MaxStringBytes {
			return apperr.New(apperr.LimitExceeded, "%s: at most %d bytes", path, MaxStringBytes).WithField(path)
		}
		if !utf8.ValidString(v) {
			return apperr.Invalid(path, "is not valid UTF-8")
		}
		return nil
	case map[string]any:
		if typ.NamedType == "Map" {
			entries := 0
			return checkMap(path, v, 1, &entries)
		}
		return c.object(path, c.schema.Types[typ.NamedType], v)
	}
	return nil
}

// object checks the fields of an input object.
func (c *argumentChecker) object(path string, def *ast.Definition, obj map[string]any) error {
	if def == nil || def.Kind != ast.InputObject {
		return nil
	}
	if strings.HasSuffix(def.Name, "WhereInput") {
		if err := checkFilterShape(path, obj); err != nil {
			return err
		}
	}
	for name, val := range obj {
		f := def.Fields.ForName(name)
		if f == nil {
			continue
		}
		if err := c.input(name, f.Type, val); err != nil {
			return err
		}
	}
	if def.Name == "CustomerContactInput" || def.Name == "ChatVisitorInput" {
		return checkContact(obj)
	}
	return nil
}

// checkFilterShape refuses empty filters inside not, and and or, which
// mean nothing (and entgql turns into invalid SQL).
func checkFilterShape(path string, obj map[string]any) error {
	for _, key := range []string{"not", "and", "or"} {
		v, ok := obj[key]
		if !ok || v == nil {
			continue
		}
		items, isList := v.([]any)
		if !isList {
			items = []any{v}
		} else if len(items) == 0 {
			return apperr.Invalid(key, "an empty list filters nothing: leave %s out", key)
		}
		for _, item := range items {
			if m, ok := item.(map[string]any); ok && len(m) == 0 {
				return apperr.Invalid(key, "an empty filter inside %s means nothing: leave it out", key)
			}
		}
	}
	return nil
}

// checkContact checks a customer's contact details: a phone in E.164 form
// with its country code, an email address without header tricks.
func checkContact(obj map[string]any) error {
	if phone, ok := obj["phone"].(string); ok && phone != "" {
		normal, err := messaging.NormalizePhone("phone", phone)
		if err != nil {
			return err
		}
		if normal != phone {
			return apperr.Invalid("phone", "give the number in E.164 form: %s", normal)
		}
	}
	if email, ok := obj["email"].(string); ok && email != "" {
		if strings.ContainsAny(email, "\r\n") {
			return apperr.Invalid("email", "must not contain line breaks")
		}
		normal, err := messaging.NormalizeEmail("email", email)
		if err != nil {
			return err
		}
		if !strings.EqualFold(normal, strings.TrimSpace(email)) {
			return apperr.Invalid("email", "give the bare address: %s", normal)
		}
	}
	return nil
}

// checkMap bounds a Map value.
func checkMap(path string, v any, depth int, entries *int) error {
	if depth > MaxMapDepth {
		return apperr.New(apperr.LimitExceeded, "%s: nested deeper than %d levels", path, MaxMapDepth).WithField(path)
	}
	var items []any
	switch v := v.(type) {
	case map[string]any:
		for k, item := range v {
			if len(k) > MaxStringBytes {
				return apperr.New(apperr.LimitExceeded, "%s: a key longer than %d bytes", path, MaxStringBytes).WithField(path)
			}
			items = append(items, item)
		}
	case []any:
		items = v
	case string:
		if len(v) > MaxStringBytes {
			return apperr.New(apperr.LimitExceeded, "%s: a string longer than %d bytes", path, MaxStringBytes).WithField(path)
		}
		return nil
	default:
		return nil
	}
	*entries += len(items)
	if *entries > MaxMapEntries {
		return apperr.New(apperr.LimitExceeded, "%s: more than %d entries", path, MaxMapEntries).WithField(path)
	}
	for _, item := range items {
		if err := checkMap(path, item, depth+1, entries); err != nil {
			return err
		}
	}
	return nil
}
