/**
 * An iCalendar (RFC 5545) file with one event: a show. Lines end in CRLF and are folded at 75
 * octets; text values escape backslashes, commas, semicolons and newlines.
 */
export interface CalendarEvent {
  uid: string;
  start: number;
  durationMinutes: number;
  summary: string;
  description: string;
  url: string;
  organizer?: string;
  stamp: number;
}

/** 20250102T030405Z */
const utc = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

export const escapeText = (s: string) => s.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\r\n|\r|\n/g, "\\n");

/** Folds a content line into 75-octet pieces, never splitting a UTF-8 character. */
export function fold(line: string): string {
  const out: string[] = [];
  let current = "";
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    const limit = out.length === 0 ? 75 : 74; // continuation lines start with a space
    if (octets + n > limit) {
      out.push(current);
      current = "";
      octets = 0;
    }
    current += ch;
    octets += n;
  }
  out.push(current);
  return out.join("\r\n ");
}

export function icsFor(e: CalendarEvent): string {
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Vetrina//Live shows//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    `UID:${e.uid}`,
    `DTSTAMP:${utc(e.stamp)}`,
    `DTSTART:${utc(e.start)}`,
    `DURATION:PT${e.durationMinutes}M`,
    `SUMMARY:${escapeText(e.summary)}`,
    `DESCRIPTION:${escapeText(e.description)}`,
    `URL;VALUE=URI:${e.url}`,
    ...(e.organizer ? [`ORGANIZER;CN=${escapeParam(e.organizer)}:${e.url}`] : []),
    "BEGIN:VALARM",
    "ACTION:DISPLAY",
    `DESCRIPTION:${escapeText(e.summary)}`,
    "TRIGGER:-PT10M",
    "END:VALARM",
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines.map(fold).join("\r\n") + "\r\n";
}

/** A parameter value: quoted, without the characters a quoted value may not hold. */
const escapeParam = (s: string) => `"${s.replace(/["\r\n]/g, "")}"`;
