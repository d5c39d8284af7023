package client

import (
	"fmt"
	"strings"
)

// endpointRule is a compiled EndpointLimit.
type endpointRule struct {
	pattern string   // "GET /v1/projects/{ref}/database/context", for logs
	method  string   // "GET"
	segs    []string // path segments; "" stands for a {placeholder}
	budgets []Budget
}

// route says which rate-limit buckets a request counts against.
type route struct {
	rule  *endpointRule // nil: only the global budget applies
	key   string        // endpoint bucket key: method and concrete path (so per ref)
	label string        // what logs show: the rule's pattern if matched, else the path
}

func compileRules(limits []EndpointLimit) ([]endpointRule, error) {
	rules := make([]endpointRule, 0, len(limits))
	for _, l := range limits {
		r, err := compileRule(l)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func compileRule(l EndpointLimit) (endpointRule, error) {
	method, path, ok := strings.Cut(strings.TrimSpace(l.Rule), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || method != strings.ToUpper(method) || !strings.HasPrefix(path, "/") {
		return endpointRule{}, fmt.Errorf("endpoint limit %q: want \"METHOD /path/{template}\"", l.Rule)
	}
	segs := splitPath(path)
	for i, s := range segs {
		switch {
		case s == "":
			return endpointRule{}, fmt.Errorf("endpoint limit %q: empty path segment", l.Rule)
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			segs[i] = ""
		}
	}
	if len(l.Budgets) == 0 {
		return endpointRule{}, fmt.Errorf("endpoint limit %q: no budgets", l.Rule)
	}
	for _, b := range l.Budgets {
		if err := validateBudget(b); err != nil {
			return endpointRule{}, fmt.Errorf("endpoint limit %q: %w", l.Rule, err)
		}
	}
	return endpointRule{
		pattern: method + " " + path,
		method:  method,
		segs:    segs,
		budgets: append([]Budget(nil), l.Budgets...),
	}, nil
}

func validateBudget(b Budget) error {
	if b.Requests < 1 || b.Window <= 0 {
		return fmt.Errorf("invalid budget %s: want at least 1 request per positive window", b)
	}
	return nil
}

func (r *endpointRule) match(method string, segs []string) bool {
	if method != r.method || len(segs) != len(r.segs) {
		return false
	}
	for i, want := range r.segs {
		if segs[i] == "" || want != "" && want != segs[i] {
			return false
		}
	}
	return true
}

// routeFor finds the first rule matching the request. path is the URL path
// with the base URL's own path prefix already removed.
func routeFor(rules []endpointRule, method, path string) route {
	segs := splitPath(path)
	for i := range rules {
		if rules[i].match(method, segs) {
			return route{
				rule:  &rules[i],
				key:   method + " /" + strings.Join(segs, "/"),
				label: rules[i].pattern,
			}
		}
	}
	return route{label: path}
}

func splitPath(path string) []string {
	return strings.Split(strings.Trim(path, "/"), "/")
}
