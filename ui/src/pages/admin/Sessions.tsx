import { PageHeading } from '../../components/forms';

export function Sessions() {
  return (
    <section>
      <PageHeading>Sessions</PageHeading>
    </section>
  );
}
