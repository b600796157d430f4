package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/crossgate/crossgate/internal/audit"
)

// The SARIF 2.1.0 subset written: one run, one rule per class, one result
// per finding located at the audited URL
// (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html).
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID       string            `json:"ruleId"`
	RuleIndex    int               `json:"ruleIndex"`
	Level        string            `json:"level"`
	Message      sarifText         `json:"message"`
	Locations    []sarifLocation   `json:"locations"`
	Properties   sarifResultProps  `json:"properties"`
	Fingerprints map[string]string `json:"partialFingerprints"`
}

type sarifResultProps struct {
	Severity    string           `json:"severity"`
	Kind        string           `json:"kind"`
	ProbeOrigin string           `json:"probe_origin"`
	AlsoOrigins []string         `json:"also_origins,omitempty"`
	Read        string           `json:"read"`
	Policy      string           `json:"policy,omitempty"`
	Evidence    []audit.Exchange `json:"evidence"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

// sarifLevel maps a severity to a SARIF level, and securitySeverity to
// the CVSS-like score code-scanning dashboards sort by.
func sarifLevel(s audit.Severity) string {
	switch s {
	case audit.High, audit.Medium:
		return "error"
	case audit.Low:
		return "warning"
	}
	return "note"
}

func securitySeverity(s audit.Severity) string {
	return [...]string{audit.Info: "0.0", audit.Low: "3.0", audit.Medium: "5.5", audit.High: "8.0"}[s]
}

func writeSARIF(w io.Writer, r *audit.Report) error {
	driver := sarifDriver{Name: "crossgate audit", InformationURI: "https://github.com/crossgate/crossgate"}
	index := map[audit.Class]int{}
	for i, c := range audit.Classes() {
		index[c] = i
		s := c.MaxSeverity() // a rule's severity is the worst of its findings
		driver.Rules = append(driver.Rules, sarifRule{
			ID: c.String(), Name: c.String(),
			ShortDescription:     sarifText{Text: c.Title()},
			Help:                 sarifText{Text: c.Fix()},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(s)},
			Properties:           sarifRuleProps{Tags: []string{"security", "cors", "CWE-942"}, SecuritySeverity: securitySeverity(s)},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	for _, f := range r.Findings {
		run.Results = append(run.Results, sarifResult{
			RuleID: f.Class.String(), RuleIndex: index[f.Class], Level: sarifLevel(f.Severity),
			Message:   sarifText{Text: fmt.Sprintf("%s: %s", f.Title, f.Detail)},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: f.URL}}}},
			Properties: sarifResultProps{Severity: f.Severity.String(), Kind: f.Kind.String(), ProbeOrigin: f.ProbeOrigin,
				AlsoOrigins: f.AlsoOrigins, Read: f.Read.String(), Policy: f.Policy, Evidence: f.Evidence},
			Fingerprints: map[string]string{"crossgateFinding/v1": fmt.Sprintf("%s|%s|%s|%s", f.URL, f.Class, f.Kind, f.ProbeOrigin)},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
