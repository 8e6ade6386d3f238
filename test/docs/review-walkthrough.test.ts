import fs from 'node:fs';
import path from 'node:path';
import { toGlobalId } from '../../src/graphql/schema/node/ids';
import { postRaw } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * docs/reviews.md's walk-through (issue 22), run as written, in order, on a
 * freshly seeded store, with each answer checked against what the page says
 * it shows: a viewer reports the Lee Do-hyun fact, an editor finds it on top
 * of the queue, takes it up, applies the suggestion and closes the entry, and
 * the page shows the result. (The shared doc test skips these blocks: they
 * need a store nobody else has written to.)
 */

const DOC = path.join(__dirname, '../../docs/reviews.md');
const TOKEN = 'editor-token-for-the-walkthrough-test-7d2a';
const FACT = toGlobalId('Fact', 'the-glory-bts-4');

interface Step {
  operation: string;
  text: string;
  editor: boolean;
}

/** The GraphQL blocks after the "## Walk-through" heading, with their editor markers. */
function walkthroughSteps(): Step[] {
  const lines = fs.readFileSync(DOC, 'utf8').split('\n');
  const start = lines.indexOf('## Walk-through');
  if (start === -1) throw new Error('docs/reviews.md has no "## Walk-through" section');
  const steps: Step[] = [];
  for (let i = start + 1; i < lines.length && !lines[i].startsWith('## '); i++) {
    if (lines[i] !== '```graphql') continue;
    const end = lines.indexOf('```', i + 1);
    const text = lines.slice(i + 1, end).join('\n');
    let editor = false;
    for (let j = i - 1; j >= 0 && (lines[j] === '' || lines[j].startsWith('<!--')); j--) {
      if (/doc-test:\s*editor/.test(lines[j])) editor = true;
    }
    steps.push({ operation: /^(?:query|mutation) (\w+)/.exec(text)![1], text, editor });
    i = end;
  }
  return steps;
}

describe('docs/reviews.md walk-through', () => {
  let t: TestApp;
  const steps = walkthroughSteps();
  const run = async <T>(operation: string): Promise<T> => {
    const step = steps.find((s) => s.operation === operation)!;
    const res = await postRaw<T>(
      t.url,
      { query: step.text },
      step.editor ? { authorization: `Bearer ${TOKEN}` } : {},
    );
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(() => t?.stop());

  it('has its five steps in order', () => {
    expect(steps.map((s) => [s.operation, s.editor])).toEqual([
      ['Report', false],
      ['Queue', true],
      ['TakeUp', true],
      ['Resolve', true],
      ['Page', false],
    ]);
  });

  it('runs as the page tells it', async () => {
    type Review = {
      status: string;
      outcome?: string;
      reviewedAt?: string;
      openReportCount?: number;
    };
    type Queue = {
      reviewQueue: {
        edges: Array<{
          node: {
            fact: { id: string; revision: number };
            figures: Record<string, number>;
            openReports: Array<{ reason: string; suggestedText: string }>;
          };
        }>;
      };
    };
    const reported = await run<{ reportFact: unknown }>('Report');
    expect(reported.reportFact).toEqual({
      created: true,
      fact: { review: { status: 'NOT_REVIEWED', openReportCount: 1 } },
    });

    const queue = await run<Queue>('Queue');
    const [top] = queue.reviewQueue.edges;
    expect(top.node.fact).toMatchObject({ id: FACT, revision: 1 });
    expect(top.node.figures).toEqual({
      openReports: 1,
      reportsWithSource: 1,
      reportWeight: 2,
      priority: 0.25,
    });
    const [report] = top.node.openReports;
    expect(report.reason).toBe('INACCURATE');
    expect(report.suggestedText).toMatch(/^Actor Lee Do-hyun plays Joo Yeo-jeong/);

    expect(
      (await run<{ takeUpReview: { review: Review } }>('TakeUp')).takeUpReview.review.status,
    ).toBe('UNDER_REVIEW');

    const resolved = await run<{
      resolveReview: { review: Review; fact: { text: string; revision: number } };
    }>('Resolve');
    expect(resolved.resolveReview.review).toMatchObject({
      status: 'REVIEWED',
      outcome: 'CORRECTED',
    });
    // The editor applied the viewer's suggestion as it is.
    expect(resolved.resolveReview.fact).toEqual({ text: report.suggestedText, revision: 2 });

    const page = await run<{ title: { facts: Array<{ id: string }> } }>('Page');
    const fact = page.title.facts.find((f) => f.id === FACT);
    expect(fact).toEqual({
      id: FACT,
      text: report.suggestedText,
      review: {
        status: 'REVIEWED',
        outcome: 'CORRECTED',
        reviewedAt: resolved.resolveReview.review.reviewedAt,
        openReportCount: 0,
      },
    });
    // Resolved: out of the queue.
    const after = await run<Queue>('Queue');
    expect(after.reviewQueue.edges.map((e) => e.node.fact.id)).not.toContain(FACT);
  });
});
