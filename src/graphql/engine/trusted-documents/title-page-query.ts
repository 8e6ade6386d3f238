/**
 * The query GraphiQL opens with: the README's title page, so a newcomer's
 * first click runs the whole page. A test keeps it identical to the README.
 */
export const EXPLORER_DEFAULT_QUERY = `# A title page: run it with Ctrl-Enter or the run button.
query TitlePage {
  title(slug: "the-glory") {
    id
    name
    tagline
    mediaType
    year
    overview
    tmdbScore {
      voteAverage
      voteCount
      fetchedAt
      stale
    }
    verdictBlurb
    accuracy {
      id
      count
      average
      distribution
      verdict
    }
    behindTheScenes: facts(category: BEHIND_THE_SCENES) {
      id
      text
      accuracy {
        id
        count
        verdict
      }
    }
    didYouKnow: facts(category: DID_YOU_KNOW) {
      id
      text
      accuracy {
        id
        count
        verdict
      }
    }
    recommendations {
      id
      label
      reason
      title {
        id
        slug
        name
      }
    }
  }
  ratingScale {
    score
    label
    description
  }
}
`;

/** The README's "A title page" block: the same query without GraphiQL's comment line. */
export const README_TITLE_PAGE_QUERY = EXPLORER_DEFAULT_QUERY.replace(/^#.*\n/, '');
