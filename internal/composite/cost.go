package composite

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/supaops/supaops/internal/pipeline"
	"github.com/supaops/supaops/internal/tools"
)

//go:embed prices.tsv
var pricesTSV string

// PriceList is the compute list prices kept in the repository.
type PriceList struct {
	Source, Date string
	// Hourly and Monthly are USD by compute size.
	Hourly, Monthly map[string]float64
}

// Label says where a list price comes from, in every answer that uses one.
func (p PriceList) Label() string { return fmt.Sprintf("list price from %s, %s", p.Source, p.Date) }

// ParsePrices reads prices.tsv.
func ParsePrices(text string) (PriceList, error) {
	p := PriceList{Hourly: map[string]float64{}, Monthly: map[string]float64{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# source\t"); ok {
			p.Source = strings.TrimSpace(rest)
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# date\t"); ok {
			p.Date = strings.TrimSpace(rest)
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return PriceList{}, fmt.Errorf("prices line %d: %d columns, want 3", n, len(f))
		}
		h, err1 := strconv.ParseFloat(f[1], 64)
		m, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || h < 0 || m < 0 {
			return PriceList{}, fmt.Errorf("prices line %d: prices must be numbers ≥ 0", n)
		}
		p.Hourly[f[0]], p.Monthly[f[0]] = h, m
	}
	if p.Source == "" || p.Date == "" {
		return PriceList{}, fmt.Errorf("prices: the source and date lines are missing")
	}
	return p, nil
}

// Cost is what cost_preview answers.
type Cost struct {
	Kind         string `json:"kind"`
	Organization string `json:"organization"`
	Plan         string `json:"plan"`
	ComputeSize  string `json:"compute_size"`
	// HourlyUSD and MonthlyUSD are nil when no price is known.
	HourlyUSD  *float64 `json:"hourly_usd,omitempty"`
	MonthlyUSD *float64 `json:"monthly_usd,omitempty"`
	// PriceSource says where the price comes from: "api" (the project's
	// billing add-ons) or the list price's label.
	PriceSource string   `json:"price_source"`
	Notes       []string `json:"notes,omitempty"`
}

func costCheck(args map[string]any) []tools.FieldProblem {
	kind, _ := args["kind"].(string)
	_, org := args["organization_slug"]
	_, ref := args["ref"]
	switch {
	case kind == "project" && !org:
		return []tools.FieldProblem{{Field: "organization_slug", Problem: "a project's cost depends on its organization: name it"}}
	case kind == "branch" && !ref:
		return []tools.FieldProblem{{Field: "ref", Problem: "a branch's cost depends on its project: name it"}}
	}
	return nil
}

func costPreview(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	kind, _ := args["kind"].(string)
	size, _ := args["desired_instance_size"].(string)
	org, _ := args["organization_slug"].(string)
	ref, _ := args["ref"].(string)
	out := Cost{Kind: kind}
	if kind == "branch" {
		var p struct {
			OrganizationSlug string `json:"organization_slug"`
		}
		if err := call(ctx, c, "project_get", map[string]any{"ref": ref}, &p); err != nil {
			return nil, err
		}
		org = p.OrganizationSlug
	}
	var o struct {
		Plan string `json:"plan"`
	}
	if err := call(ctx, c, "organization_get", map[string]any{"slug": org}, &o); err != nil {
		return nil, err
	}
	out.Organization, out.Plan = org, o.Plan
	if size == "" {
		// What the API creates without one: the smallest size of the plan.
		size = "micro"
		if kind == "project" && o.Plan == "free" {
			size = "nano"
		}
	}
	out.ComputeSize = size
	if kind == "branch" {
		// A branch is billed like a project of its size; the parent
		// project's add-ons list the sizes' prices.
		found, err := apiPrice(ctx, c, ref, size, &out)
		if err != nil {
			return nil, err
		}
		if found {
			out.Notes = append(out.Notes, "branches are billed by the hour while they exist")
			return out, nil
		}
	}
	// Fifteen lines, read on each preview rather than kept in a variable.
	list, err := ParsePrices(pricesTSV)
	if err != nil {
		return nil, err
	}
	out.PriceSource = list.Label()
	if h, ok := list.Hourly[size]; ok {
		m := list.Monthly[size]
		out.HourlyUSD, out.MonthlyUSD = &h, &m
	} else {
		out.Notes = append(out.Notes, fmt.Sprintf("no list price is kept for compute size %s: check the source", size))
	}
	if o.Plan != "free" {
		out.Notes = append(out.Notes, "paid plans include $10 a month of compute credits, shared by the organization's projects")
	}
	return out, nil
}

// apiPrice fills out's price from the project's billing add-ons, if they
// price the compute size.
func apiPrice(ctx context.Context, c tools.Caller, ref, size string, out *Cost) (bool, error) {
	var addons struct {
		Available []struct {
			Type     string `json:"type"`
			Variants []struct {
				ID    string `json:"id"`
				Price struct {
					Interval string  `json:"interval"`
					Amount   float64 `json:"amount"`
				} `json:"price"`
			} `json:"variants"`
		} `json:"available_addons"`
	}
	if err := call(ctx, c, "addons_list", map[string]any{"ref": ref}, &addons); err != nil {
		return false, err
	}
	for _, a := range addons.Available {
		if a.Type != "compute_instance" {
			continue
		}
		for _, v := range a.Variants {
			if v.ID != "ci_"+size {
				continue
			}
			amount := v.Price.Amount
			switch v.Price.Interval {
			case "hourly":
				monthly := amount * 730 // hours in an average month
				out.HourlyUSD, out.MonthlyUSD = &amount, &monthly
			case "monthly":
				out.MonthlyUSD = &amount
			default:
				continue
			}
			out.PriceSource = "api"
			return true, nil
		}
	}
	return false, nil
}

// Previews are what a person asked to confirm or approve a create is shown:
// the cost_preview of the same create, in a line (pipeline.Config.Previews).
func Previews() map[string]pipeline.Preview {
	sizeOf := func(args map[string]any, out map[string]any) map[string]any {
		if s, ok := args["desired_instance_size"].(string); ok && s != "" {
			out["desired_instance_size"] = s
		}
		return out
	}
	return map[string]pipeline.Preview{
		"project_create": {
			Action: "cost_preview", Line: CostLine,
			Args: func(args map[string]any) map[string]any {
				return sizeOf(args, map[string]any{"kind": "project", "organization_slug": args["organization_slug"]})
			},
		},
		"branch_create": {
			Action: "cost_preview", Line: CostLine,
			Args: func(args map[string]any) map[string]any {
				return sizeOf(args, map[string]any{"kind": "branch", "ref": args["ref"]})
			},
		},
	}
}

// CostLine words a cost_preview result for someone about to consent:
// "cost: compute micro at $0.0134/hour (about $10/month; list price from …),
// organization on the pro plan".
func CostLine(result any) string {
	var c Cost
	b, err := json.Marshal(result)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ComputeSize == "" {
		return "cost: unknown (the preview gave no compute size)"
	}
	var price string
	switch {
	case c.HourlyUSD != nil && c.MonthlyUSD != nil:
		price = fmt.Sprintf("$%s/hour (about $%s/month)", money(*c.HourlyUSD), money(*c.MonthlyUSD))
	case c.MonthlyUSD != nil:
		price = fmt.Sprintf("$%s/month", money(*c.MonthlyUSD))
	default:
		price = "no known price"
	}
	source := c.PriceSource
	if source == "api" {
		source = "price from the API"
	}
	line := fmt.Sprintf("cost: compute %s at %s (%s), organization %s on the %s plan", c.ComputeSize, price, source, c.Organization, c.Plan)
	if len(c.Notes) > 0 {
		line += "; " + strings.Join(c.Notes, "; ")
	}
	return line
}

// money writes dollars without float noise: 10 → "10", 0.01344 → "0.01344".
func money(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
