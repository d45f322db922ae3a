// SPDX-License-Identifier: Apache-2.0

// oracle decodes documents the way runc 1.1 does (Go's encoding/json into
// the runtime-spec types) and compares runc's view with ocigate's.
//
//	oracle DIR...
//
// Each DIR holds, per document NAME (p-* an exec --process file, else a
// config.json), NAME.runc.json (the bytes runc would read: ocigate's
// rewrite, or the original when ocigate changed nothing) and
// NAME.ocigate.json (ocigate's own view, serialised).  For each, oracle
// writes NAME.go.json (what Go decoded, re-encoded) and reports every
// field of the spec types on which the two views differ.  Exit 1 when any
// differs.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

type jfield struct {
	name string
	t    reflect.Type
}

var fieldCache = map[reflect.Type][]jfield{}

// fields of a struct as encoding/json names them (embedded structs flattened).
func fields(t reflect.Type) []jfield {
	if f, ok := fieldCache[t]; ok {
		return f
	}
	var out []jfield
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			out = append(out, fields(sf.Type)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, jfield{name, sf.Type})
	}
	fieldCache[t] = out
	return out
}

// zero: the JSON value Go would decode to its zero value and omit or
// re-encode as zero (absent, null, false, 0, "", [], {} and objects of zeros).
func zero(v interface{}) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		r, ok := new(big.Rat).SetString(string(x))
		return ok && r.Sign() == 0
	case []interface{}:
		return len(x) == 0
	case map[string]interface{}:
		for _, e := range x {
			if !zero(e) {
				return false
			}
		}
		return true
	}
	return false
}

type comparer struct {
	name  string
	diffs []string
}

func (c *comparer) diff(path, format string, a ...interface{}) {
	c.diffs = append(c.diffs, fmt.Sprintf("%s: %s: %s", c.name, path, fmt.Sprintf(format, a...)))
}

func short(v interface{}) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		b = append(b[:120], "..."...)
	}
	return string(b)
}

func numEqual(a, b json.Number) bool {
	x, ok1 := new(big.Rat).SetString(string(a))
	y, ok2 := new(big.Rat).SetString(string(b))
	if !ok1 || !ok2 {
		return string(a) == string(b)
	}
	return x.Cmp(y) == 0
}

// compare runc's view g (Go's re-encoding) with ocigate's o at type t.
func (c *comparer) compare(t reflect.Type, g, o interface{}, path string) {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	if o == nil || g == nil {
		if !zero(o) || !zero(g) {
			c.diff(path, "runc sees %s, ocigate %s", short(g), short(o))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		gm, ok1 := g.(map[string]interface{})
		om, ok2 := o.(map[string]interface{})
		if !ok1 || !ok2 {
			c.diff(path, "runc sees %s, ocigate %s", short(g), short(o))
			return
		}
		for _, f := range fields(t) {
			gv, gok := gm[f.name]
			ov, ook := om[f.name]
			p := path + "/" + f.name
			switch {
			case !gok && !ook:
			case !gok:
				if !zero(ov) {
					c.diff(p, "runc sees nothing, ocigate %s", short(ov))
				}
			case !ook:
				if !zero(gv) {
					c.diff(p, "runc sees %s, ocigate nothing", short(gv))
				}
			default:
				c.compare(f.t, gv, ov, p)
			}
		}
	case reflect.Slice, reflect.Array:
		ga, ok1 := g.([]interface{})
		oa, ok2 := o.([]interface{})
		if !ok1 || !ok2 || len(ga) != len(oa) {
			c.diff(path, "runc sees %s, ocigate %s", short(g), short(o))
			return
		}
		for i := range ga {
			c.compare(t.Elem(), ga[i], oa[i], fmt.Sprintf("%s/%d", path, i))
		}
	case reflect.Map:
		gm, ok1 := g.(map[string]interface{})
		om, ok2 := o.(map[string]interface{})
		if !ok1 || !ok2 || len(gm) != len(om) {
			c.diff(path, "runc sees %s, ocigate %s", short(g), short(o))
			return
		}
		for k, gv := range gm {
			ov, ok := om[k]
			if !ok {
				c.diff(path+"/"+k, "runc sees %s, ocigate nothing", short(gv))
				continue
			}
			c.compare(t.Elem(), gv, ov, path+"/"+k)
		}
	case reflect.Interface:
		if !reflect.DeepEqual(g, o) {
			c.diff(path, "runc sees %s, ocigate %s", short(g), short(o))
		}
	default:
		switch gv := g.(type) {
		case json.Number:
			ov, ok := o.(json.Number)
			if !ok || !numEqual(gv, ov) {
				c.diff(path, "runc sees %s, ocigate %s", short(g), short(o))
			}
		default:
			if !reflect.DeepEqual(g, o) {
				c.diff(path, "runc sees %s, ocigate %s", short(g), short(o))
			}
		}
	}
}

func generic(b []byte) (interface{}, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v interface{}
	err := d.Decode(&v)
	return v, err
}

func main() {
	var diffs []string
	decoded, refused := 0, 0
	for _, dir := range os.Args[1:] {
		names, err := filepath.Glob(filepath.Join(dir, "*.runc.json"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(99)
		}
		sort.Strings(names)
		for _, runcFile := range names {
			base := strings.TrimSuffix(runcFile, ".runc.json")
			name := filepath.Base(base)
			in, err := os.ReadFile(runcFile)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(99)
			}
			mine, err := os.ReadFile(base + ".ocigate.json")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(99)
			}
			var v interface{}
			var t reflect.Type
			if strings.HasPrefix(name, "p-") {
				v, t = &specs.Process{}, reflect.TypeOf(specs.Process{})
			} else {
				v, t = &specs.Spec{}, reflect.TypeOf(specs.Spec{})
			}
			// runc refuses a document its decoder cannot read: no
			// container runs, nothing to compare.
			if err := json.Unmarshal(in, v); err != nil {
				refused++
				continue
			}
			decoded++
			out, err := json.Marshal(v)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(99)
			}
			if err := os.WriteFile(base+".go.json", out, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(99)
			}
			g, err1 := generic(out)
			o, err2 := generic(mine)
			if err1 != nil || err2 != nil {
				diffs = append(diffs, fmt.Sprintf("%s: cannot re-read: %v %v", runcFile, err1, err2))
				continue
			}
			c := comparer{name: filepath.Join(filepath.Base(dir), name)}
			c.compare(t, g, o, "")
			diffs = append(diffs, c.diffs...)
		}
	}
	for _, d := range diffs {
		fmt.Println("DISAGREE", d)
	}
	fmt.Printf("go: %d decoded, %d refused by runc's decoder, %d fields disagree\n", decoded, refused, len(diffs))
	if len(diffs) > 0 {
		os.Exit(1)
	}
}
