package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/supaops/supaops/internal/render"
)

// Limits on what a confirmation or approval shows. Nobody is asked to
// consent to what they are not shown: a value over MaxShownValue is shown
// in part with exactly what is hidden, and arguments that cannot be shown
// within MaxShown are refused consent altogether.
const (
	MaxShownValue = 4 << 10
	MaxShown      = 32 << 10
)

// ErrTooLargeToShow refuses consent to arguments that cannot be shown.
var ErrTooLargeToShow = errors.New("the arguments are too large to show for consent")

// Shown is one argument as a person deciding on consent sees it.
type Shown struct {
	Name string `json:"name"`
	// Text is the value: a string as it is, anything else as compact JSON,
	// or the start of it when HiddenBytes > 0.
	Text string `json:"text"`
	// HiddenBytes is how much of the value is not in Text; SHA256 then
	// identifies the whole value.
	HiddenBytes int    `json:"hidden_bytes,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	// Note says what a value means beyond its text, e.g. the statements a
	// SQL argument would run.
	Note string `json:"note,omitempty"`
}

// String is the argument, saying what is hidden and what it means.
func (s Shown) String() string {
	out := s.Name + ": " + s.Text
	if s.HiddenBytes > 0 {
		out = fmt.Sprintf("%s: %s… [%d more bytes not shown; the whole value has sha256 %s]", s.Name, s.Text, s.HiddenBytes, s.SHA256)
	}
	if s.Note != "" {
		out += " [" + s.Note + "]"
	}
	return out
}

// Display lays out redacted arguments for consent, sorted by name. Values
// named in whole must be shown entirely (SQL: a statement cut off is a
// statement not seen); others may be shown in part. It fails with
// ErrTooLargeToShow when they do not fit.
func Display(args map[string]any, whole []string) ([]Shown, error) {
	var out []Shown
	total := 0
	for _, name := range slices.Sorted(maps.Keys(args)) {
		text, err := valueText(args[name])
		if err != nil {
			return nil, fmt.Errorf("showing %s: %w", name, err)
		}
		s := Shown{Name: name, Text: text}
		if len(text) > MaxShownValue && !slices.Contains(whole, name) {
			sum := sha256.Sum256([]byte(text))
			s.Text = string(render.CutUTF8([]byte(text), MaxShownValue))
			s.HiddenBytes, s.SHA256 = len(text)-len(s.Text), hex.EncodeToString(sum[:])
		}
		total += len(s.Text) + len(name)
		if total > MaxShown {
			if slices.Contains(whole, name) {
				return nil, fmt.Errorf("%w: %s is %d bytes and is shown whole (SQL is never shown in part); at most %d bytes can be shown", ErrTooLargeToShow, name, len(text), MaxShown)
			}
			return nil, fmt.Errorf("%w: %d arguments need more than %d bytes", ErrTooLargeToShow, len(args), MaxShown)
		}
		out = append(out, s)
	}
	return out, nil
}

func valueText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return strings.ToValidUTF8(s, "\uFFFD"), nil
	}
	b, err := render.CompactJSON(v)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	return string(b), nil
}
