import {
  addToTally,
  closeReports,
  emptyReportTally,
  fileReport,
  InvalidInputError,
  MAX_REPORT_NOTE_LENGTH,
  MAX_SOURCE_URL_LENGTH,
  MAX_SUGGESTED_TEXT_LENGTH,
  type ReportInput,
  type ReportRecord,
  type ReportTally,
  tallyOf,
  validateReport,
} from '../../src/model';

const VOTER = 'voter-0001';
const valid: ReportInput = { voterId: VOTER, reason: 'INACCURATE' };

/** The field a validation error names, or the value when nothing was thrown. */
function rejectedField(input: Partial<ReportInput>): string {
  try {
    validateReport({ ...valid, ...input });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    const { field, message } = error as InvalidInputError;
    expect(message.startsWith(`${field} `)).toBe(true);
    return field;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('validateReport', () => {
  it('keeps a reason alone, with no note, source or suggestion', () => {
    expect(validateReport(valid)).toEqual({
      voterId: VOTER,
      reason: 'INACCURATE',
      note: null,
      sourceUrl: null,
      suggestedText: null,
    });
  });

  it('trims the note, source and suggestion; an empty note or source is none', () => {
    expect(
      validateReport({
        ...valid,
        note: '  He learned the piece for the role.  ',
        sourceUrl: ' https://example.org/interview ',
        suggestedText: '  Lee Do-hyun learned the piece for the role. ',
      }),
    ).toMatchObject({
      note: 'He learned the piece for the role.',
      sourceUrl: 'https://example.org/interview',
      suggestedText: 'Lee Do-hyun learned the piece for the role.',
    });
    expect(validateReport({ ...valid, note: '   ', sourceUrl: '' })).toMatchObject({
      note: null,
      sourceUrl: null,
    });
  });

  it('stores the source as the WHATWG parser reads it', () => {
    expect(validateReport({ ...valid, sourceUrl: 'HTTP://Example.ORG/a b' }).sourceUrl).toBe(
      'http://example.org/a%20b',
    );
  });

  it('counts the note after trimming', () => {
    const longest = 'n'.repeat(MAX_REPORT_NOTE_LENGTH);
    expect(validateReport({ ...valid, note: ` ${longest} ` }).note).toBe(longest);
    expect(rejectedField({ note: `${longest}n` })).toBe('note');
  });

  it.each<[string, Partial<ReportInput>, string]>([
    ['an unknown reason', { reason: 'BORING' }, 'reason'],
    ['a voter id unlike ratings’ ones', { voterId: 'short' }, 'voterId'],
    ['an ftp source', { sourceUrl: 'ftp://example.org/file' }, 'sourceUrl'],
    ['a javascript: source', { sourceUrl: 'javascript:alert(1)' }, 'sourceUrl'],
    ['a source that is no URL', { sourceUrl: 'example.org/page' }, 'sourceUrl'],
    ['a source with a user name', { sourceUrl: 'https://me@example.org/' }, 'sourceUrl'],
    ['a source with a password', { sourceUrl: 'https://:secret@example.org/' }, 'sourceUrl'],
    [
      'a source over 2,000 characters',
      { sourceUrl: `https://example.org/${'a'.repeat(MAX_SOURCE_URL_LENGTH)}` },
      'sourceUrl',
    ],
    ['a blank suggestion', { suggestedText: '  ' }, 'suggestedText'],
    [
      'a suggestion longer than a fact may be',
      { suggestedText: 't'.repeat(MAX_SUGGESTED_TEXT_LENGTH + 1) },
      'suggestedText',
    ],
  ])('rejects %s, naming the field', (_, input, field) => {
    expect(rejectedField(input)).toBe(field);
  });

  it('accepts a source of exactly 2,000 characters', () => {
    const prefix = 'https://example.org/';
    const url = prefix + 'a'.repeat(MAX_SOURCE_URL_LENGTH - prefix.length);
    expect(validateReport({ ...valid, sourceUrl: url }).sourceUrl).toBe(url);
  });
});

describe('fileReport', () => {
  let ids = 0;
  const at = (minute: number) => ({
    now: new Date(Date.UTC(2026, 11, 7, 12, minute)),
    newId: () => `report-${++ids}`,
  });
  const about = { factId: 'fact-1', titleId: 'title-1' };

  it('replaces the voter’s open report: same id and createdAt, the tally moves reasons', () => {
    const first = fileReport(at(0), null, about, validateReport(valid));
    expect(first.tallyDelta).toMatchObject({ open: 1, withSource: 0 });
    const second = fileReport(
      at(5),
      first.report,
      about,
      validateReport({ ...valid, reason: 'OUTDATED', sourceUrl: 'https://example.org/' }),
    );
    expect(second.report).toMatchObject({
      id: first.report.id,
      createdAt: first.report.createdAt,
      updatedAt: at(5).now,
      reason: 'OUTDATED',
      state: 'OPEN',
    });
    const tally = addToTally(first.tallyDelta, second.tallyDelta);
    expect(tally).toEqual({
      open: 1,
      byReason: { INACCURATE: 0, MISLEADING: 0, OUTDATED: 1, UNVERIFIABLE: 0, OTHER: 0 },
      withSource: 1,
    });
  });

  it('refuses to replace another voter’s report, or a closed one', () => {
    const { report } = fileReport(at(0), null, about, validateReport(valid));
    const other = validateReport({ ...valid, voterId: 'voter-0002' });
    expect(() => fileReport(at(1), report, about, other)).toThrow(/not this voter's open report/);
    const [closed] = closeReports([report], 'review-1', at(2).now);
    expect(() => fileReport(at(3), closed, about, validateReport(valid))).toThrow(
      /not this voter's open report/,
    );
  });

  it('keeps a tally equal to a recount of the open reports, through replacements and a close', () => {
    const reports = new Map<string, ReportRecord>();
    let tally: ReportTally = emptyReportTally();
    const file = (voterId: string, reason: string, sourceUrl: string | null) => {
      const open = reports.get(voterId) ?? null;
      const result = fileReport(
        at(0),
        open?.state === 'OPEN' ? open : null,
        about,
        validateReport({ voterId, reason, sourceUrl }),
      );
      reports.set(voterId, result.report);
      tally = addToTally(tally, result.tallyDelta);
    };
    file('voter-000a', 'INACCURATE', 'https://a.example/');
    file('voter-000b', 'OTHER', null);
    file('voter-000a', 'MISLEADING', null);
    file('voter-000c', 'MISLEADING', 'https://c.example/');
    expect(tally).toEqual(tallyOf(reports.values()));
    expect(tally).toMatchObject({ open: 3, withSource: 1 });

    for (const report of closeReports([...reports.values()], 'review-1', at(9).now)) {
      expect(report).toMatchObject({ state: 'CLOSED', closedBy: 'review-1' });
      reports.set(report.voterId, report);
    }
    expect(tallyOf(reports.values())).toEqual(emptyReportTally());
    // After the close, the same voter's report is a new one.
    const closedId = reports.get('voter-000a')!.id;
    file('voter-000a', 'OUTDATED', null);
    expect(reports.get('voter-000a')).toMatchObject({ state: 'OPEN', closedBy: null });
    expect(reports.get('voter-000a')!.id).not.toBe(closedId);
    expect(tallyOf(reports.values())).toMatchObject({ open: 1 });
  });
});
