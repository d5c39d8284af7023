package sandbox

import (
	"fmt"
	"strings"
)

// router matches a request path against the spec's path templates with a
// segment trie built once in New: static segments win over parameters, as in
// the real API (/v1/projects/available-regions is not a project ref).
type router struct {
	root *routeNode
}

type routeNode struct {
	static    map[string]*routeNode
	param     *routeNode
	paramName string
	ops       map[string]*operation // by HTTP method
}

func newRouteNode() *routeNode {
	return &routeNode{static: make(map[string]*routeNode)}
}

func newRouter(ops []*operation) (*router, error) {
	rt := &router{root: newRouteNode()}
	for _, op := range ops {
		n := rt.root
		for _, seg := range op.segments {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				name := seg[1 : len(seg)-1]
				if n.param == nil {
					n.param = newRouteNode()
					n.paramName = name
				} else if n.paramName != name {
					return nil, fmt.Errorf("path %s: parameter {%s} conflicts with {%s} at the same position", op.path, name, n.paramName)
				}
				n = n.param
				continue
			}
			child, ok := n.static[seg]
			if !ok {
				child = newRouteNode()
				n.static[seg] = child
			}
			n = child
		}
		if n.ops == nil {
			n.ops = make(map[string]*operation)
		}
		if _, dup := n.ops[op.method]; dup {
			return nil, fmt.Errorf("duplicate route %s %s", op.method, op.path)
		}
		n.ops[op.method] = op
	}
	return rt, nil
}

// match finds the operation for method and path and its path parameters;
// op is nil when nothing matches.
func (rt *router) match(method, path string) (op *operation, params map[string]string) {
	segs := splitPath(path)
	var names, values []string
	n := rt.find(rt.root, segs, &names, &values)
	if n == nil {
		return nil, nil
	}
	op = n.ops[method]
	if op == nil {
		return nil, nil
	}
	params = make(map[string]string, len(names))
	for i, name := range names {
		params[name] = values[i]
	}
	return op, params
}

// find walks the trie depth-first, trying the static child before the
// parameter child, and records parameter values on the way down.
func (rt *router) find(n *routeNode, segs []string, names, values *[]string) *routeNode {
	if len(segs) == 0 {
		if len(n.ops) > 0 {
			return n
		}
		return nil
	}
	seg := segs[0]
	if seg == "" {
		return nil
	}
	if child, ok := n.static[seg]; ok {
		if found := rt.find(child, segs[1:], names, values); found != nil {
			return found
		}
	}
	if n.param != nil {
		*names = append(*names, n.paramName)
		*values = append(*values, seg)
		if found := rt.find(n.param, segs[1:], names, values); found != nil {
			return found
		}
		*names = (*names)[:len(*names)-1]
		*values = (*values)[:len(*values)-1]
	}
	return nil
}
