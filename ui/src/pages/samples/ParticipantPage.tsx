import { PageHeading } from '../../components/forms';

export function ParticipantPage({ participantId }: { participantId: string }) {
  return (
    <section>
      <PageHeading>Participant {participantId}</PageHeading>
    </section>
  );
}
