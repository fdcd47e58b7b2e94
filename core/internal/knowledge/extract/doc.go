// Package extract turns an uploaded file into structured text: it sniffs the media type
// from the bytes, then extracts blocks (headings, paragraphs, list items) with their
// page numbers. PDFs go through poppler's pdftotext and pdfinfo (Debian poppler-utils),
// DOCX through archive/zip and encoding/xml, HTML through golang.org/x/net/html and
// Markdown through goldmark. Every extractor is bounded by Limits, so hostile files end
// in an error that says what is wrong rather than a crash or a hang.
package extract
