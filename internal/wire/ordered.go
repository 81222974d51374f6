package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// NamedField is a field with its name, in the order the server sent it.
type NamedField struct {
	Name string
	Field
}

// OrderedFields decodes a JSON object of fields keeping the server's order,
// which is the order a form should show them in.
type OrderedFields []NamedField

// UnmarshalJSON implements json.Unmarshaler.
func (o *OrderedFields) UnmarshalJSON(p []byte) error {
	*o = nil
	return walkObject(p, func(key string, val json.RawMessage) error {
		var f Field
		if err := json.Unmarshal(val, &f); err != nil {
			return fmt.Errorf("field %q: %w", key, err)
		}
		*o = append(*o, NamedField{Name: key, Field: f})
		return nil
	})
}

// KV is one option of a select field.
type KV struct{ Key, Value string }

// OrderedStrings decodes a JSON object of strings keeping its order.
type OrderedStrings []KV

// UnmarshalJSON implements json.Unmarshaler.
func (o *OrderedStrings) UnmarshalJSON(p []byte) error {
	*o = nil
	return walkObject(p, func(key string, val json.RawMessage) error {
		var t Text
		if err := json.Unmarshal(val, &t); err != nil {
			return fmt.Errorf("option %q: %w", key, err)
		}
		*o = append(*o, KV{Key: key, Value: string(t)})
		return nil
	})
}

// walkObject calls fn for each member of a JSON object, in order. An empty
// JSON array is accepted as an empty object (PHP's empty array).
func walkObject(p []byte, fn func(string, json.RawMessage) error) error {
	if string(bytes.TrimSpace(p)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok && d == '[' {
		tok, err = dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok && d == ']' {
			return nil
		}
		return fmt.Errorf("expected an object, got a non-empty array")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("expected a key")
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return err
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}
