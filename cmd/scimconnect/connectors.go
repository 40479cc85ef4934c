package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/scimconnect/scimconnect/connector/builtin"
)

func cmdConnectors(stdout io.Writer) error {
	reg := builtin.Registry()
	names := make([]string, 0, len(reg))
	for n := range reg {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tVERSION\tDESCRIPTION")
	for _, n := range names {
		t := reg[n]
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Version, t.Description)
	}
	return tw.Flush()
}
