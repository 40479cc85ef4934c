// Package scim holds the vocabulary of the SCIM 2.0 protocol (RFC 7643, RFC 7644)
// that every other SCIM package shares: schema URNs, the error type and its wire form.
//
// It imports nothing of connectors, storage or HTTP routing. The protocol
// algorithms live in subpackages: schema (attribute model, validation,
// projection), filter (RFC 7644 §3.4.2.2 filters), patch (RFC 7644 §3.5.2) and
// provider (the HTTP service provider).
package scim

// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3.1).
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	ListResponseSchema          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	SearchRequestSchema         = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	PatchOpSchema               = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	BulkRequestSchema           = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseSchema          = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	ErrorSchema                 = "urn:ietf:params:scim:api:messages:2.0:Error"
	ServiceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeSchema          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// MediaType is the SCIM media type (RFC 7644 §3.1), sent without parameters.
const MediaType = "application/scim+json"
